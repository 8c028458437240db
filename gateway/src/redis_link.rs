//! The gateway's Redis: one server, or a Redis Cluster when `REDIS_URL` lists several
//! seed nodes separated by commas. Every command the gateway sends names one key, or
//! two that share a hash tag (the session and its rate counter), so both modes serve
//! the same code. Redis may lose acknowledged writes in either mode; nothing that
//! moves money rests on it.

use std::time::Duration;

use redis::aio::{ConnectionLike, ConnectionManager};
use redis::cluster::ClusterClient;
use redis::cluster_async::ClusterConnection;
use redis::{Cmd, Pipeline, RedisFuture, RedisResult, Value};

/// How long a command may wait for an answer before the request answers 503.
const RESPONSE_TIMEOUT: Duration = Duration::from_secs(2);

#[derive(Clone)]
pub enum RedisLink {
    Single(ConnectionManager),
    Cluster(ClusterConnection),
}

/// The seed nodes named by a `REDIS_URL`: one for a single server, several for a
/// cluster.
pub fn seed_nodes(url: &str) -> Vec<&str> {
    url.split(',')
        .map(str::trim)
        .filter(|u| !u.is_empty())
        .collect()
}

impl RedisLink {
    pub async fn connect(url: &str) -> RedisResult<Self> {
        match seed_nodes(url).as_slice() {
            [one] => {
                let client = redis::Client::open(*one)?;
                Ok(Self::Single(ConnectionManager::new(client).await?))
            }
            nodes => {
                let client = ClusterClient::builder(nodes.iter().copied())
                    .connection_timeout(RESPONSE_TIMEOUT)
                    .response_timeout(RESPONSE_TIMEOUT)
                    .build()?;
                Ok(Self::Cluster(client.get_async_connection().await?))
            }
        }
    }

    pub fn is_cluster(&self) -> bool {
        matches!(self, Self::Cluster(_))
    }
}

impl ConnectionLike for RedisLink {
    fn req_packed_command<'a>(&'a mut self, cmd: &'a Cmd) -> RedisFuture<'a, Value> {
        match self {
            Self::Single(c) => c.req_packed_command(cmd),
            Self::Cluster(c) => c.req_packed_command(cmd),
        }
    }

    fn req_packed_commands<'a>(
        &'a mut self,
        pipeline: &'a Pipeline,
        offset: usize,
        count: usize,
    ) -> RedisFuture<'a, Vec<Value>> {
        match self {
            Self::Single(c) => c.req_packed_commands(pipeline, offset, count),
            Self::Cluster(c) => c.req_packed_commands(pipeline, offset, count),
        }
    }

    fn get_db(&self) -> i64 {
        match self {
            Self::Single(c) => c.get_db(),
            Self::Cluster(c) => c.get_db(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_url_is_a_server_and_a_list_is_a_cluster() {
        assert_eq!(
            seed_nodes("redis://127.0.0.1:6379"),
            vec!["redis://127.0.0.1:6379"]
        );
        assert_eq!(
            seed_nodes("redis://127.0.0.1:7000, redis://127.0.0.1:7001,"),
            vec!["redis://127.0.0.1:7000", "redis://127.0.0.1:7001"]
        );
    }
}
