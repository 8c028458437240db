//! The gateway in the browser: the hosted checkout page of merchants' payment requests
//! (public) and the operator console (behind the admin token). Server-rendered from
//! templates compiled into the binary (askama), with one stylesheet and a little plain
//! JavaScript for live updates, all served from here: no build step, no outside CDN.
//! The pages read and act through the same services and commands as the JSON API.

pub mod assets;
pub mod checkout;
pub mod console;
pub mod format;
pub mod multipart;
pub mod page;
pub mod qr_image;

use actix_web::web;

/// Every page and asset route (`app::configure` adds them beside the API).
pub fn configure(cfg: &mut web::ServiceConfig) {
    assets::configure(cfg);
    checkout::configure(cfg);
    console::configure(cfg);
}
