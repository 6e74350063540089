-- apps.host_id keeps no foreign key: its check, a locking lookup of the host for every inserted row,
-- took about 2 of the 5.5 ms of inserting a 553-app inventory (a pgbench probe on this schema's
-- indexes). Collections insert a host's apps while holding the host's row lock, so no host is
-- deleted under them; a deleted host's apps go with it through the statement trigger below, as
-- they did through ON DELETE CASCADE.

-- DropForeignKey
ALTER TABLE "apps" DROP CONSTRAINT "apps_host_id_fkey";

CREATE FUNCTION apps_delete_with_hosts() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM apps a USING deleted_hosts d WHERE a.host_id = d.id;
  RETURN NULL;
END
$$;

CREATE TRIGGER hosts_delete_apps AFTER DELETE ON hosts
  REFERENCING OLD TABLE AS deleted_hosts
  FOR EACH STATEMENT EXECUTE FUNCTION apps_delete_with_hosts();
