-- A collection checked that every catalog row its cached entries name still exists: one
-- `id = ANY(...)` lookup of a first inventory's ~550 ids, which PostgreSQL ran as a sequential scan
-- of the whole software table (60,000 rows, 504 scans in a 1,200-host first-inventories run). Rows
-- are deleted only by retention, under the catalog lock held exclusive; it now bumps this epoch in
-- the same transaction, and entries seen at the current epoch are linked without the lookup.

-- CreateTable
CREATE TABLE "software_catalog_epoch" (
    "id" INTEGER NOT NULL DEFAULT 1,
    "epoch" INTEGER NOT NULL DEFAULT 0,

    CONSTRAINT "software_catalog_epoch_pkey" PRIMARY KEY ("id")
);

INSERT INTO "software_catalog_epoch" ("id", "epoch") VALUES (1, 0);
