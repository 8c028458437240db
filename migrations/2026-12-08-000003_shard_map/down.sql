DROP TABLE shard_map;
