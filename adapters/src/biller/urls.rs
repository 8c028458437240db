//! Where the billers' systems live.

/// Where each outside system lives, without trailing slashes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BillerUrls {
    /// EVN (every power corporation).
    pub evn: String,
    /// The water companies.
    pub water: String,
    /// Vietnam Social Security.
    pub vss: String,
}

impl BillerUrls {
    /// The three systems under one root, as the simulators serve them:
    /// `{root}/evn`, `{root}/water`, `{root}/vss`.
    pub fn under(root: &str) -> Self {
        let root = root.trim_end_matches('/');
        BillerUrls {
            evn: format!("{root}/evn"),
            water: format!("{root}/water"),
            vss: format!("{root}/vss"),
        }
    }

    pub(super) fn trimmed(self) -> Self {
        let trim = |url: String| url.trim_end_matches('/').to_owned();
        BillerUrls {
            evn: trim(self.evn),
            water: trim(self.water),
            vss: trim(self.vss),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_derived_from_one_root() {
        let urls = BillerUrls::under("http://127.0.0.1:8081/");
        assert_eq!(urls.evn, "http://127.0.0.1:8081/evn");
        assert_eq!(urls.water, "http://127.0.0.1:8081/water");
        assert_eq!(urls.vss, "http://127.0.0.1:8081/vss");
    }
}
