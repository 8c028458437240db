//! Citizens: identities keyed by CCCD, their VNeID sessions and bank links.

pub mod bank_links;
pub mod directory;
pub mod identity;
pub mod sessions;
pub mod sign_in;
