-- Fleet mode: enrolled osquery agents report over osquery's TLS remote API. Hosts gain what an operator
-- looks for and the agent's enrollment state; agents' warning/error status lines and a dedupe table
-- for counted result lines.
-- CreateEnum
CREATE TYPE "SnapshotSource" AS ENUM ('LOCAL', 'AGENT');

-- AlterTable
ALTER TABLE "hosts" ADD COLUMN     "agent_identifier" TEXT,
ADD COLUMN     "agent_instance_id" TEXT,
ADD COLUMN     "cpu_brand" TEXT,
ADD COLUMN     "enrolled_at" TIMESTAMPTZ(3),
ADD COLUMN     "hardware_model" TEXT,
ADD COLUMN     "hardware_serial" TEXT,
ADD COLUMN     "hardware_vendor" TEXT,
ADD COLUMN     "inventory_at" TIMESTAMPTZ(3),
ADD COLUMN     "inventory_batch" TEXT,
ADD COLUMN     "inventory_requested_at" TIMESTAMPTZ(3),
ADD COLUMN     "inventory_sent_at" TIMESTAMPTZ(3),
ADD COLUMN     "last_seen_at" TIMESTAMPTZ(3),
ADD COLUMN     "local" BOOLEAN NOT NULL DEFAULT false,
ADD COLUMN     "node_key_hash" BYTEA,
ADD COLUMN     "os_name" TEXT,
ADD COLUMN     "os_version" TEXT,
ADD COLUMN     "osquery_version" TEXT,
ADD COLUMN     "physical_memory" BIGINT,
ADD COLUMN     "platform_like" TEXT,
ADD COLUMN     "result_lines" BIGINT NOT NULL DEFAULT 0;

-- AlterTable
ALTER TABLE "snapshots" ADD COLUMN     "source" "SnapshotSource" NOT NULL DEFAULT 'LOCAL';

-- CreateTable
CREATE TABLE "agent_errors" (
    "id" SERIAL NOT NULL,
    "host_id" INTEGER NOT NULL,
    "logged_at" TIMESTAMPTZ(3) NOT NULL,
    "received_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "severity" INTEGER NOT NULL,
    "filename" TEXT,
    "line" INTEGER,
    "message" TEXT NOT NULL,
    "osquery_version" TEXT,
    "fingerprint" BYTEA NOT NULL,

    CONSTRAINT "agent_errors_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "agent_log_lines" (
    "host_id" INTEGER NOT NULL,
    "fingerprint" BIGINT NOT NULL,
    "received_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "agent_log_lines_pkey" PRIMARY KEY ("host_id","fingerprint")
);

-- CreateIndex
CREATE INDEX "agent_errors_host_id_id_idx" ON "agent_errors"("host_id", "id");

-- CreateIndex
CREATE UNIQUE INDEX "agent_errors_host_id_fingerprint_key" ON "agent_errors"("host_id", "fingerprint");

-- CreateIndex
CREATE INDEX "agent_log_lines_received_at_idx" ON "agent_log_lines"("received_at");

-- CreateIndex
CREATE UNIQUE INDEX "hosts_node_key_hash_key" ON "hosts"("node_key_hash");

-- AddForeignKey
ALTER TABLE "agent_errors" ADD CONSTRAINT "agent_errors_host_id_fkey" FOREIGN KEY ("host_id") REFERENCES "hosts"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "agent_log_lines" ADD CONSTRAINT "agent_log_lines_host_id_fkey" FOREIGN KEY ("host_id") REFERENCES "hosts"("id") ON DELETE CASCADE ON UPDATE CASCADE;


-- Every host before fleet mode was the service's own machine.
UPDATE "hosts" SET "local" = true;

-- Hosts show their OS and osquery versions directly; fill them from each host's newest SUCCEEDED snapshot.
UPDATE "hosts" AS h
SET "os_name" = newest."os_name", "os_version" = newest."os_version", "osquery_version" = newest."osquery_version"
FROM (
    SELECT DISTINCT ON (s."host_id") s."host_id", v."os_name", v."os_version", v."osquery_version"
    FROM "snapshots" AS s JOIN "versions" AS v ON v."id" = s."version_id"
    WHERE s."status" = 'SUCCEEDED'
    ORDER BY s."host_id", s."id" DESC
) AS newest
WHERE newest."host_id" = h."id";
