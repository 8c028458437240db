-- Which shard each of the 4,096 vshards lives on, kept in the catalog so that every
-- replica routes by the same map and rebalancing moves whole vshards by changing rows.
CREATE TABLE shard_map (
    vshard SMALLINT PRIMARY KEY CHECK (vshard >= 0 AND vshard < 4096),
    shard SMALLINT NOT NULL CHECK (shard >= 0)
);
