//! Fetching a statement file over HTTP: `GET {base}/statements/{YYYY-MM-DD}`.

use super::{StatementError, StatementSource};
use crate::bank::wire::ErrorBody;
use chrono::NaiveDate;
use std::time::Duration;

/// Largest file accepted, so a runaway server cannot exhaust memory; a day of a busy
/// gateway's transfers is a few megabytes.
pub const MAX_FILE_BYTES: usize = 64 * 1024 * 1024;

/// The base URL of each system's statements, e.g. `http://127.0.0.1:8081/napas`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatementTargets {
    /// NAPAS 247.
    pub napas: String,
    /// VNPay.
    pub vnpay: String,
    /// MoMo.
    pub momo: String,
    /// ZaloPay.
    pub zalopay: String,
    /// EVN.
    pub evn: String,
    /// The water system.
    pub water: String,
    /// Vietnam Social Security.
    pub vss: String,
}

impl StatementTargets {
    /// Every system under one base URL at its own prefix, as the simulators serve them.
    pub fn under(base_url: &str) -> Self {
        let base = base_url.trim_end_matches('/');
        let at = |source: StatementSource| format!("{base}/{}", source.as_str());
        StatementTargets {
            napas: at(StatementSource::Napas),
            vnpay: at(StatementSource::Vnpay),
            momo: at(StatementSource::Momo),
            zalopay: at(StatementSource::Zalopay),
            evn: at(StatementSource::Evn),
            water: at(StatementSource::Water),
            vss: at(StatementSource::Vss),
        }
    }

    /// The base URL of `source`, without a trailing slash.
    pub fn of(&self, source: StatementSource) -> &str {
        let url = match source {
            StatementSource::Napas => &self.napas,
            StatementSource::Vnpay => &self.vnpay,
            StatementSource::Momo => &self.momo,
            StatementSource::Zalopay => &self.zalopay,
            StatementSource::Evn => &self.evn,
            StatementSource::Water => &self.water,
            StatementSource::Vss => &self.vss,
        };
        url.trim_end_matches('/')
    }
}

/// Fetches statement files from the systems.
#[derive(Debug, Clone)]
pub struct StatementClient {
    targets: StatementTargets,
    client: reqwest::Client,
    timeout: Duration,
}

impl StatementClient {
    /// A client of `targets` that gives up on any fetch after `timeout`.
    pub fn new(targets: StatementTargets, timeout: Duration) -> Result<Self, StatementError> {
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .build()
            .map_err(|_| StatementError::Unavailable("http_client".to_owned()))?;
        Ok(Self::with_client(targets, client, timeout))
    }

    /// Same as [`StatementClient::new`] but sharing an existing client (connection
    /// pool). `timeout` applies to every fetch whatever the client's own setting.
    pub fn with_client(
        targets: StatementTargets,
        client: reqwest::Client,
        timeout: Duration,
    ) -> Self {
        StatementClient {
            targets,
            client,
            timeout,
        }
    }

    /// The systems' base URLs.
    pub fn targets(&self) -> &StatementTargets {
        &self.targets
    }

    /// `GET {base}/statements/{date}`; the raw file bytes.
    pub async fn fetch(
        &self,
        source: StatementSource,
        date: NaiveDate,
    ) -> Result<Vec<u8>, StatementError> {
        let url = format!(
            "{}/statements/{}",
            self.targets.of(source),
            date.format("%Y-%m-%d")
        );
        let mut response = self
            .client
            .get(url)
            .timeout(self.timeout)
            .send()
            .await
            .map_err(transport_error)?;
        let status = response.status();
        if !status.is_success() {
            let code = match response.json::<ErrorBody>().await {
                Ok(body) => body.error.code,
                Err(err) if err.is_timeout() => return Err(StatementError::Timeout),
                Err(_) => format!("http_{}", status.as_u16()),
            };
            return Err(if status == reqwest::StatusCode::NOT_FOUND {
                StatementError::NotFound(code)
            } else if status.is_server_error() {
                StatementError::Unavailable(code)
            } else {
                StatementError::Rejected(code)
            });
        }
        if response
            .content_length()
            .is_some_and(|length| length > MAX_FILE_BYTES as u64)
        {
            return Err(StatementError::Unavailable("file_too_large".to_owned()));
        }
        let mut bytes = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(transport_error)? {
            if bytes.len().saturating_add(chunk.len()) > MAX_FILE_BYTES {
                return Err(StatementError::Unavailable("file_too_large".to_owned()));
            }
            bytes.extend_from_slice(&chunk);
        }
        Ok(bytes)
    }
}

fn transport_error(err: reqwest::Error) -> StatementError {
    if err.is_timeout() {
        StatementError::Timeout
    } else if err.is_connect() {
        StatementError::Unavailable("connection_failed".to_owned())
    } else {
        StatementError::Unavailable("transport_error".to_owned())
    }
}
