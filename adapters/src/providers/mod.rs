//! Wire formats and signatures of the wallet and gateway providers: VNPay, MoMo and
//! ZaloPay. Everything here is pure (values in, values out); sending requests and
//! receiving callbacks is the gateway's business.

pub mod mac;
pub mod momo;
pub mod queries;
pub mod vietnam_time;
pub mod vnpay;
pub mod zalopay;
