-- GeoRisk's tables for Microsoft Orleans (membership and grain state) in the store's PostgreSQL database
-- (docs/SCALE.md §cluster). Orleans' ADO.NET providers run only the statements in OrleansQuery, by key;
-- each statement keeps the parameter and column names the providers bind and read. Written for GeoRisk:
-- single statements with data-modifying CTEs instead of stored functions. Idempotent: run at every start.

CREATE TABLE IF NOT EXISTS OrleansQuery
(
    QueryKey varchar(64) NOT NULL PRIMARY KEY,
    QueryText varchar(8000) NOT NULL
);

CREATE TABLE IF NOT EXISTS georisk_cluster_version
(
    deployment_id varchar(150) NOT NULL PRIMARY KEY,
    changed_at timestamptz(3) NOT NULL DEFAULT now(),
    version integer NOT NULL DEFAULT 0
);

CREATE TABLE IF NOT EXISTS georisk_cluster_silo
(
    deployment_id varchar(150) NOT NULL REFERENCES georisk_cluster_version (deployment_id),
    address varchar(45) NOT NULL,
    port integer NOT NULL,
    generation integer NOT NULL,
    silo_name varchar(150) NOT NULL,
    host_name varchar(150) NOT NULL,
    status integer NOT NULL,
    proxy_port integer NULL,
    suspect_times varchar(8000) NULL,
    start_time timestamptz(3) NOT NULL,
    i_am_alive_time timestamptz(3) NOT NULL,
    PRIMARY KEY (deployment_id, address, port, generation)
);

CREATE TABLE IF NOT EXISTS georisk_grain_state
(
    grain_id_hash integer NOT NULL,
    grain_id_n0 bigint NOT NULL,
    grain_id_n1 bigint NOT NULL,
    grain_type_hash integer NOT NULL,
    grain_type varchar(512) NOT NULL,
    grain_key_extension varchar(512) NULL,
    service_id varchar(150) NOT NULL,
    payload bytea NULL,
    modified_at timestamptz NOT NULL,
    version integer NOT NULL
);

CREATE UNIQUE INDEX IF NOT EXISTS georisk_grain_state_key ON georisk_grain_state
    (grain_id_hash, grain_type_hash, grain_id_n0, grain_id_n1, grain_type, coalesce(grain_key_extension, ''), service_id);

INSERT INTO OrleansQuery (QueryKey, QueryText) VALUES
('UpdateIAmAlivetimeKey', '
UPDATE georisk_cluster_silo SET i_am_alive_time = @IAmAliveTime
WHERE deployment_id = @DeploymentId AND address = @Address AND port = @Port AND generation = @Generation;'),

('InsertMembershipVersionKey', '
WITH inserted AS (
    INSERT INTO georisk_cluster_version (deployment_id) VALUES (@DeploymentId)
    ON CONFLICT (deployment_id) DO NOTHING RETURNING 1)
SELECT count(*)::integer FROM inserted;'),

-- The silo row goes in only together with the version step it was read at (optimistic concurrency).
('InsertMembershipKey', '
WITH stepped AS (
    UPDATE georisk_cluster_version SET version = version + 1, changed_at = now()
    WHERE deployment_id = @DeploymentId AND version = @Version
      AND NOT EXISTS (SELECT 1 FROM georisk_cluster_silo s WHERE s.deployment_id = @DeploymentId AND s.address = @Address AND s.port = @Port AND s.generation = @Generation)
    RETURNING 1),
inserted AS (
    INSERT INTO georisk_cluster_silo (deployment_id, address, port, generation, silo_name, host_name, status, proxy_port, start_time, i_am_alive_time)
    SELECT @DeploymentId, @Address, @Port, @Generation, @SiloName, @HostName, @Status, @ProxyPort, @StartTime, @IAmAliveTime
    WHERE EXISTS (SELECT 1 FROM stepped)
    RETURNING 1)
SELECT count(*)::integer FROM inserted;'),

('UpdateMembershipKey', '
WITH stepped AS (
    UPDATE georisk_cluster_version SET version = version + 1, changed_at = now()
    WHERE deployment_id = @DeploymentId AND version = @Version
      AND EXISTS (SELECT 1 FROM georisk_cluster_silo s WHERE s.deployment_id = @DeploymentId AND s.address = @Address AND s.port = @Port AND s.generation = @Generation)
    RETURNING 1),
updated AS (
    UPDATE georisk_cluster_silo SET status = @Status, suspect_times = @SuspectTimes, i_am_alive_time = @IAmAliveTime
    WHERE deployment_id = @DeploymentId AND address = @Address AND port = @Port AND generation = @Generation
      AND EXISTS (SELECT 1 FROM stepped)
    RETURNING 1)
SELECT count(*)::integer FROM updated;'),

('MembershipReadRowKey', '
SELECT v.deployment_id AS DeploymentId, s.address AS Address, s.port AS Port, s.generation AS Generation, s.silo_name AS SiloName,
       s.host_name AS HostName, s.status AS Status, s.proxy_port AS ProxyPort, s.suspect_times AS SuspectTimes,
       s.start_time AS StartTime, s.i_am_alive_time AS IAmAliveTime, v.version AS Version
FROM georisk_cluster_version v
LEFT JOIN georisk_cluster_silo s ON s.deployment_id = v.deployment_id AND s.address = @Address AND s.port = @Port AND s.generation = @Generation
WHERE v.deployment_id = @DeploymentId;'),

('MembershipReadAllKey', '
SELECT v.deployment_id AS DeploymentId, s.address AS Address, s.port AS Port, s.generation AS Generation, s.silo_name AS SiloName,
       s.host_name AS HostName, s.status AS Status, s.proxy_port AS ProxyPort, s.suspect_times AS SuspectTimes,
       s.start_time AS StartTime, s.i_am_alive_time AS IAmAliveTime, v.version AS Version
FROM georisk_cluster_version v
LEFT JOIN georisk_cluster_silo s ON s.deployment_id = v.deployment_id
WHERE v.deployment_id = @DeploymentId;'),

('DeleteMembershipTableEntriesKey', '
DELETE FROM georisk_cluster_silo WHERE deployment_id = @DeploymentId;
DELETE FROM georisk_cluster_version WHERE deployment_id = @DeploymentId;'),

('GatewaysQueryKey', '
SELECT address AS Address, proxy_port AS ProxyPort, generation AS Generation
FROM georisk_cluster_silo
WHERE deployment_id = @DeploymentId AND status = @Status AND proxy_port > 0;'),

('CleanupDefunctSiloEntriesKey', '
DELETE FROM georisk_cluster_silo
WHERE deployment_id = @DeploymentId AND i_am_alive_time < @IAmAliveTime AND status != 3;'),

-- Grain state: version is the ETag. A write with the version it read bumps it; a first write inserts version 1.
-- Returning the version unchanged (or nothing) tells Orleans the write lost a race.
('WriteToStorageKey', '
WITH updated AS (
    UPDATE georisk_grain_state SET payload = @PayloadBinary, modified_at = now(), version = version + 1
    WHERE @GrainStateVersion IS NOT NULL AND version = @GrainStateVersion
      AND grain_id_hash = @GrainIdHash AND grain_type_hash = @GrainTypeHash AND grain_id_n0 = @GrainIdN0 AND grain_id_n1 = @GrainIdN1
      AND grain_type = @GrainTypeString AND coalesce(grain_key_extension, '''') = coalesce(@GrainIdExtensionString, '''') AND service_id = @ServiceId
    RETURNING version),
inserted AS (
    INSERT INTO georisk_grain_state (grain_id_hash, grain_id_n0, grain_id_n1, grain_type_hash, grain_type, grain_key_extension, service_id, payload, modified_at, version)
    SELECT @GrainIdHash, @GrainIdN0, @GrainIdN1, @GrainTypeHash, @GrainTypeString, @GrainIdExtensionString, @ServiceId, @PayloadBinary, now(), 1
    WHERE @GrainStateVersion IS NULL AND NOT EXISTS (
        SELECT 1 FROM georisk_grain_state
        WHERE grain_id_hash = @GrainIdHash AND grain_type_hash = @GrainTypeHash AND grain_id_n0 = @GrainIdN0 AND grain_id_n1 = @GrainIdN1
          AND grain_type = @GrainTypeString AND coalesce(grain_key_extension, '''') = coalesce(@GrainIdExtensionString, '''') AND service_id = @ServiceId)
    RETURNING version)
SELECT coalesce((SELECT version FROM updated), (SELECT version FROM inserted), @GrainStateVersion) AS NewGrainStateVersion;'),

('ReadFromStorageKey', '
SELECT payload AS PayloadBinary, now() AS ReadAt, version AS Version
FROM georisk_grain_state
WHERE grain_id_hash = @GrainIdHash AND grain_type_hash = @GrainTypeHash AND grain_id_n0 = @GrainIdN0 AND grain_id_n1 = @GrainIdN1
  AND grain_type = @GrainTypeString AND coalesce(grain_key_extension, '''') = coalesce(@GrainIdExtensionString, '''') AND service_id = @ServiceId;'),

('ClearStorageKey', '
UPDATE georisk_grain_state SET payload = NULL, version = version + 1
WHERE version = @GrainStateVersion
  AND grain_id_hash = @GrainIdHash AND grain_type_hash = @GrainTypeHash AND grain_id_n0 = @GrainIdN0 AND grain_id_n1 = @GrainIdN1
  AND grain_type = @GrainTypeString AND coalesce(grain_key_extension, '''') = coalesce(@GrainIdExtensionString, '''') AND service_id = @ServiceId
RETURNING version AS NewGrainStateVersion;'),

('DeleteStorageKey', '
DELETE FROM georisk_grain_state
WHERE version = @GrainStateVersion
  AND grain_id_hash = @GrainIdHash AND grain_type_hash = @GrainTypeHash AND grain_id_n0 = @GrainIdN0 AND grain_id_n1 = @GrainIdN1
  AND grain_type = @GrainTypeString AND coalesce(grain_key_extension, '''') = coalesce(@GrainIdExtensionString, '''') AND service_id = @ServiceId
RETURNING version + 1 AS NewGrainStateVersion;')
ON CONFLICT (QueryKey) DO UPDATE SET QueryText = EXCLUDED.QueryText;
