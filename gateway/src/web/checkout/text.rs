//! The checkout page's words: Vietnamese by default, English on `?lang=en`.

use crate::merchants::requests::RequestStatus;

/// The language a payer reads the page in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Vi,
    En,
}

impl Lang {
    /// `en` asks for English; anything else (or nothing) is Vietnamese.
    pub fn from_query(lang: Option<&str>) -> Self {
        match lang {
            Some(l) if l.eq_ignore_ascii_case("en") => Self::En,
            _ => Self::Vi,
        }
    }

    pub const fn code(self) -> &'static str {
        match self {
            Self::Vi => "vi",
            Self::En => "en",
        }
    }

    pub const fn text(self) -> &'static Text {
        match self {
            Self::Vi => &VI,
            Self::En => &EN,
        }
    }

    pub fn amount(self, dong: i64) -> String {
        match self {
            Self::Vi => crate::web::format::dong_vi(dong),
            Self::En => crate::web::format::dong_en(dong),
        }
    }

    /// How the page names a status.
    pub const fn status(self, status: RequestStatus) -> &'static str {
        let t = self.text();
        match status {
            RequestStatus::Open => t.status_open,
            RequestStatus::Paid => t.status_paid,
            RequestStatus::Authorized => t.status_authorized,
            RequestStatus::Captured | RequestStatus::PartiallyCaptured => t.status_captured,
            RequestStatus::Voided => t.status_voided,
            RequestStatus::Expired => t.status_expired,
            RequestStatus::Refunded | RequestStatus::PartiallyRefunded => t.status_refunded,
        }
    }
}

/// Every phrase of the page.
pub struct Text {
    pub title: &'static str,
    pub pay_to: &'static str,
    pub order: &'static str,
    pub description: &'static str,
    pub scan: &'static str,
    pub qr_alt: &'static str,
    pub bank: &'static str,
    pub account: &'static str,
    pub reference: &'static str,
    pub expires_in: &'static str,
    pub status: &'static str,
    pub status_open: &'static str,
    pub status_paid: &'static str,
    pub status_authorized: &'static str,
    pub status_captured: &'static str,
    pub status_voided: &'static str,
    pub status_expired: &'static str,
    pub status_refunded: &'static str,
    pub returning: &'static str,
    pub back_to_shop: &'static str,
    pub wallet_heading: &'static str,
    pub wallet_note: &'static str,
    pub wallet_button: &'static str,
    pub step_up_heading: &'static str,
    pub step_up_note: &'static str,
    pub step_up_button: &'static str,
    pub wallet_failed: &'static str,
    pub other_language: &'static str,
}

static VI: Text = Text {
    title: "Thanh toán",
    pay_to: "Thanh toán cho",
    order: "Mã đơn hàng",
    description: "Nội dung",
    scan: "Mở ứng dụng ngân hàng hoặc ví và quét mã VietQR để thanh toán.",
    qr_alt: "Mã VietQR của yêu cầu thanh toán",
    bank: "Ngân hàng",
    account: "Số tài khoản",
    reference: "Mã yêu cầu",
    expires_in: "Hết hạn sau",
    status: "Trạng thái",
    status_open: "Chờ thanh toán",
    status_paid: "Đã thanh toán",
    status_authorized: "Đã giữ tiền, chờ cửa hàng xác nhận",
    status_captured: "Cửa hàng đã nhận tiền",
    status_voided: "Đã hủy",
    status_expired: "Đã hết hạn",
    status_refunded: "Đã hoàn tiền",
    returning: "Đang quay lại cửa hàng…",
    back_to_shop: "Quay lại cửa hàng",
    wallet_heading: "Bản demo",
    wallet_note: "Đăng nhập bằng VNeID (trình mô phỏng) và thanh toán từ ví của công dân demo.",
    wallet_button: "Thanh toán bằng ví VNeID của tôi",
    step_up_heading: "Cần xác thực sinh trắc học",
    step_up_note: "Số tiền này cần xác thực bằng sinh trắc học trên VNeID trước khi trừ tiền.",
    step_up_button: "Xác thực bằng sinh trắc học",
    wallet_failed: "Không thanh toán được từ ví",
    other_language: "English",
};

static EN: Text = Text {
    title: "Checkout",
    pay_to: "Pay to",
    order: "Order",
    description: "Description",
    scan: "Open your banking or wallet app and scan the VietQR code to pay.",
    qr_alt: "VietQR code of the payment request",
    bank: "Bank",
    account: "Account number",
    reference: "Request",
    expires_in: "Expires in",
    status: "Status",
    status_open: "Awaiting payment",
    status_paid: "Paid",
    status_authorized: "Authorized, awaiting the merchant",
    status_captured: "Captured by the merchant",
    status_voided: "Voided",
    status_expired: "Expired",
    status_refunded: "Refunded",
    returning: "Taking you back to the shop…",
    back_to_shop: "Back to the shop",
    wallet_heading: "Demo",
    wallet_note: "Sign in with VNeID (its simulator) and pay from the demo citizen's wallet.",
    wallet_button: "Pay with my VNeID wallet",
    step_up_heading: "Biometric confirmation needed",
    step_up_note: "This amount must be confirmed with a biometric VNeID check before it is paid.",
    step_up_button: "Confirm with biometrics",
    wallet_failed: "The wallet could not pay",
    other_language: "Tiếng Việt",
};
