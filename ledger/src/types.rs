//! The two things the ledger stores: accounts and transfers, modelled on TigerBeetle's.
//!
//! Ids are client-chosen `u128`s (0 and `u128::MAX` are reserved). Amounts and balances
//! are integers in the ledger's minor unit; they are `u64` in the API but never exceed
//! [`MAX_AMOUNT`] (`i64::MAX`) because PostgreSQL stores them as `BIGINT`.

/// The largest balance or amount the ledger can hold.
pub const MAX_AMOUNT: u64 = i64::MAX as u64;

/// Account flags, a bit set as in TigerBeetle's `AccountFlags`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct AccountFlags(u16);

impl AccountFlags {
    pub const NONE: Self = Self(0);
    /// The account and the next event of the batch succeed or fail together.
    pub const LINKED: Self = Self(1 << 0);
    /// `debits_pending + debits_posted` may never exceed `credits_posted` (a wallet).
    pub const DEBITS_MUST_NOT_EXCEED_CREDITS: Self = Self(1 << 1);
    /// `credits_pending + credits_posted` may never exceed `debits_posted`.
    pub const CREDITS_MUST_NOT_EXCEED_DEBITS: Self = Self(1 << 2);
    /// Keep the balance after every transfer so it can be read as of a past time.
    pub const HISTORY: Self = Self(1 << 3);
    /// No transfer may debit or credit the account.
    pub const CLOSED: Self = Self(1 << 5);
    const KNOWN: u16 = 0b10_1111;

    pub const fn bits(self) -> u16 {
        self.0
    }
    pub const fn from_bits(bits: u16) -> Self {
        Self(bits)
    }
    pub const fn contains(self, other: Self) -> bool {
        self.0 & other.0 == other.0
    }
    pub const fn union(self, other: Self) -> Self {
        Self(self.0 | other.0)
    }
    pub(crate) const fn has_unknown_bits(self) -> bool {
        self.0 & !Self::KNOWN != 0
    }
}

impl std::ops::BitOr for AccountFlags {
    type Output = Self;
    fn bitor(self, rhs: Self) -> Self {
        self.union(rhs)
    }
}

/// Transfer flags, a bit set as in TigerBeetle's `TransferFlags`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct TransferFlags(u16);

impl TransferFlags {
    pub const NONE: Self = Self(0);
    /// The transfer and the next event of the batch succeed or fail together.
    pub const LINKED: Self = Self(1 << 0);
    /// Reserve the amount (a hold) instead of posting it.
    pub const PENDING: Self = Self(1 << 1);
    /// Post a pending transfer (all of it, or part of it: the rest is released).
    pub const POST_PENDING_TRANSFER: Self = Self(1 << 2);
    /// Release a pending transfer.
    pub const VOID_PENDING_TRANSFER: Self = Self(1 << 3);
    /// Transfer at most `amount`, as much as the debit account's credits allow.
    pub const BALANCING_DEBIT: Self = Self(1 << 4);
    /// Transfer at most `amount`, as much as the credit account's debits allow.
    pub const BALANCING_CREDIT: Self = Self(1 << 5);
    const KNOWN: u16 = 0b11_1111;

    pub const fn bits(self) -> u16 {
        self.0
    }
    pub const fn from_bits(bits: u16) -> Self {
        Self(bits)
    }
    pub const fn contains(self, other: Self) -> bool {
        self.0 & other.0 == other.0
    }
    pub const fn union(self, other: Self) -> Self {
        Self(self.0 | other.0)
    }
    pub(crate) const fn has_unknown_bits(self) -> bool {
        self.0 & !Self::KNOWN != 0
    }
    pub const fn is_post_or_void(self) -> bool {
        self.contains(Self::POST_PENDING_TRANSFER) || self.contains(Self::VOID_PENDING_TRANSFER)
    }
}

impl std::ops::BitOr for TransferFlags {
    type Output = Self;
    fn bitor(self, rhs: Self) -> Self {
        self.union(rhs)
    }
}

/// An account: its identity, its limits and its four balances.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Account {
    pub id: u128,
    pub debits_pending: u64,
    pub debits_posted: u64,
    pub credits_pending: u64,
    pub credits_posted: u64,
    pub user_data_128: u128,
    pub user_data_64: u64,
    pub user_data_32: u32,
    /// The currency (or other unit) this account counts in; transfers stay within one.
    pub ledger: u32,
    /// The account's kind in the chart of accounts.
    pub code: u16,
    pub flags: AccountFlags,
    /// Nanoseconds since the Unix epoch, assigned by the ledger when the account is created.
    pub timestamp: u64,
}

impl Account {
    /// A new account, balances zero, ready for `create_accounts`.
    pub fn new(id: u128, ledger: u32, code: u16, flags: AccountFlags) -> Self {
        Self {
            id,
            ledger,
            code,
            flags,
            ..Self::default()
        }
    }

    /// Credits minus debits, posted only: what a wallet holds.
    pub fn credit_balance(&self) -> i128 {
        i128::from(self.credits_posted) - i128::from(self.debits_posted)
    }

    /// Posted credits minus posted and pending debits: what a wallet may still spend.
    pub fn available_credit_balance(&self) -> i128 {
        self.credit_balance() - i128::from(self.debits_pending)
    }

    pub(crate) fn debits_exceed_credits(&self, amount: u64) -> bool {
        self.flags
            .contains(AccountFlags::DEBITS_MUST_NOT_EXCEED_CREDITS)
            && u128::from(self.debits_pending) + u128::from(self.debits_posted) + u128::from(amount)
                > u128::from(self.credits_posted)
    }

    pub(crate) fn credits_exceed_debits(&self, amount: u64) -> bool {
        self.flags
            .contains(AccountFlags::CREDITS_MUST_NOT_EXCEED_DEBITS)
            && u128::from(self.credits_pending)
                + u128::from(self.credits_posted)
                + u128::from(amount)
                > u128::from(self.debits_posted)
    }
}

/// A transfer: one movement of `amount` from the debit account to the credit account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Transfer {
    pub id: u128,
    pub debit_account_id: u128,
    pub credit_account_id: u128,
    pub amount: u64,
    /// For post and void: the pending transfer it resolves.
    pub pending_id: u128,
    pub user_data_128: u128,
    pub user_data_64: u64,
    pub user_data_32: u32,
    /// For pending transfers: seconds after which the hold expires (0 = never).
    pub timeout: u32,
    pub ledger: u32,
    /// The purpose of the movement (bill, insurance, transfer, merchant, fee, top-up...).
    pub code: u16,
    pub flags: TransferFlags,
    /// Nanoseconds since the Unix epoch, assigned by the ledger.
    pub timestamp: u64,
}

/// What became of a pending transfer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PendingStatus {
    Pending,
    Posted,
    Voided,
    Expired,
}

impl PendingStatus {
    pub(crate) fn to_db(self) -> i16 {
        match self {
            Self::Pending => 0,
            Self::Posted => 1,
            Self::Voided => 2,
            Self::Expired => 3,
        }
    }
    pub(crate) fn from_db(v: i16) -> Option<Self> {
        match v {
            0 => Some(Self::Pending),
            1 => Some(Self::Posted),
            2 => Some(Self::Voided),
            3 => Some(Self::Expired),
            _ => None,
        }
    }
}

/// A pending transfer's hold as the ledger tracks it until it resolves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PendingHold {
    pub id: u128,
    pub debit_account_id: u128,
    pub credit_account_id: u128,
    pub amount: u64,
    /// Nanoseconds since the epoch at which the hold lapses; `None` when it never does.
    pub expires_at: Option<u64>,
    pub status: PendingStatus,
}

/// An account's balances at one moment, kept for accounts with the `history` flag.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AccountBalance {
    pub account_id: u128,
    pub timestamp: u64,
    pub debits_pending: u64,
    pub debits_posted: u64,
    pub credits_pending: u64,
    pub credits_posted: u64,
}
