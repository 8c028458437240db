-- The catalog's phone directory: which citizen a phone number reaches, when citizens
-- live on their home shards. It holds the number and the identity id (whose vshard
-- names the shard) and nothing else of the citizen's personal data.
CREATE TABLE phone_directory (
    identity_id TEXT PRIMARY KEY,
    phone TEXT NOT NULL
);
CREATE INDEX phone_directory_phone ON phone_directory (phone);
