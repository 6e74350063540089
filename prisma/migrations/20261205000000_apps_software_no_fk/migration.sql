-- apps.software_id keeps no foreign key: its check, one locking lookup per inserted row, was about a
-- third of a first inventory's INSERT INTO apps. Collections lock each catalog row they link FOR KEY
-- SHARE before inserting, and retention deletes only rows it has locked FOR UPDATE and then finds
-- unlinked (see prisma/schema.prisma, model App).

-- DropForeignKey
ALTER TABLE "apps" DROP CONSTRAINT "apps_software_id_fkey";
