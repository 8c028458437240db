//! Result codes, one per event, in TigerBeetle's order of precedence: when several
//! things are wrong with an event, the first code listed here that applies is returned.

macro_rules! result_codes {
    ($(#[$meta:meta])* $name:ident { $($variant:ident = $value:literal => $text:literal,)* }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[repr(u16)]
        pub enum $name {
            $($variant = $value,)*
        }

        impl $name {
            /// The stable snake_case name of the code.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $text,)*
                }
            }

            /// The code's stable number, as stored for failed transfer ids.
            pub const fn code(self) -> u16 {
                self as u16
            }

            pub fn from_code(code: u16) -> Option<Self> {
                match code {
                    $($value => Some(Self::$variant),)*
                    _ => None,
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

result_codes! {
    /// The outcome of one account in a `create_accounts` batch.
    CreateAccountResult {
        Ok = 0 => "ok",
        LinkedEventFailed = 1 => "linked_event_failed",
        LinkedEventChainOpen = 2 => "linked_event_chain_open",
        TimestampMustBeZero = 3 => "timestamp_must_be_zero",
        ReservedFlag = 4 => "reserved_flag",
        IdMustNotBeZero = 5 => "id_must_not_be_zero",
        IdMustNotBeIntMax = 6 => "id_must_not_be_int_max",
        ExistsWithDifferentFlags = 7 => "exists_with_different_flags",
        ExistsWithDifferentUserData128 = 8 => "exists_with_different_user_data_128",
        ExistsWithDifferentUserData64 = 9 => "exists_with_different_user_data_64",
        ExistsWithDifferentUserData32 = 10 => "exists_with_different_user_data_32",
        ExistsWithDifferentLedger = 11 => "exists_with_different_ledger",
        ExistsWithDifferentCode = 12 => "exists_with_different_code",
        Exists = 13 => "exists",
        FlagsAreMutuallyExclusive = 14 => "flags_are_mutually_exclusive",
        DebitsPendingMustBeZero = 15 => "debits_pending_must_be_zero",
        DebitsPostedMustBeZero = 16 => "debits_posted_must_be_zero",
        CreditsPendingMustBeZero = 17 => "credits_pending_must_be_zero",
        CreditsPostedMustBeZero = 18 => "credits_posted_must_be_zero",
        LedgerMustNotBeZero = 19 => "ledger_must_not_be_zero",
        CodeMustNotBeZero = 20 => "code_must_not_be_zero",
    }
}

result_codes! {
    /// The outcome of one transfer in a `create_transfers` batch.
    CreateTransferResult {
        Ok = 0 => "ok",
        LinkedEventFailed = 1 => "linked_event_failed",
        LinkedEventChainOpen = 2 => "linked_event_chain_open",
        TimestampMustBeZero = 3 => "timestamp_must_be_zero",
        ReservedFlag = 4 => "reserved_flag",
        IdMustNotBeZero = 5 => "id_must_not_be_zero",
        IdMustNotBeIntMax = 6 => "id_must_not_be_int_max",
        ExistsWithDifferentFlags = 7 => "exists_with_different_flags",
        ExistsWithDifferentPendingId = 8 => "exists_with_different_pending_id",
        ExistsWithDifferentTimeout = 9 => "exists_with_different_timeout",
        ExistsWithDifferentDebitAccountId = 10 => "exists_with_different_debit_account_id",
        ExistsWithDifferentCreditAccountId = 11 => "exists_with_different_credit_account_id",
        ExistsWithDifferentAmount = 12 => "exists_with_different_amount",
        ExistsWithDifferentUserData128 = 13 => "exists_with_different_user_data_128",
        ExistsWithDifferentUserData64 = 14 => "exists_with_different_user_data_64",
        ExistsWithDifferentUserData32 = 15 => "exists_with_different_user_data_32",
        ExistsWithDifferentLedger = 16 => "exists_with_different_ledger",
        ExistsWithDifferentCode = 17 => "exists_with_different_code",
        Exists = 18 => "exists",
        IdAlreadyFailed = 19 => "id_already_failed",
        FlagsAreMutuallyExclusive = 20 => "flags_are_mutually_exclusive",
        DebitAccountIdMustNotBeZero = 21 => "debit_account_id_must_not_be_zero",
        DebitAccountIdMustNotBeIntMax = 22 => "debit_account_id_must_not_be_int_max",
        CreditAccountIdMustNotBeZero = 23 => "credit_account_id_must_not_be_zero",
        CreditAccountIdMustNotBeIntMax = 24 => "credit_account_id_must_not_be_int_max",
        AccountsMustBeDifferent = 25 => "accounts_must_be_different",
        PendingIdMustBeZero = 26 => "pending_id_must_be_zero",
        PendingIdMustNotBeZero = 27 => "pending_id_must_not_be_zero",
        PendingIdMustNotBeIntMax = 28 => "pending_id_must_not_be_int_max",
        PendingIdMustBeDifferent = 29 => "pending_id_must_be_different",
        TimeoutReservedForPendingTransfer = 30 => "timeout_reserved_for_pending_transfer",
        LedgerMustNotBeZero = 31 => "ledger_must_not_be_zero",
        CodeMustNotBeZero = 32 => "code_must_not_be_zero",
        DebitAccountNotFound = 33 => "debit_account_not_found",
        CreditAccountNotFound = 34 => "credit_account_not_found",
        AccountsMustHaveTheSameLedger = 35 => "accounts_must_have_the_same_ledger",
        TransferMustHaveTheSameLedgerAsAccounts = 36 => "transfer_must_have_the_same_ledger_as_accounts",
        PendingTransferNotFound = 37 => "pending_transfer_not_found",
        PendingTransferNotPending = 38 => "pending_transfer_not_pending",
        PendingTransferHasDifferentDebitAccountId = 39 => "pending_transfer_has_different_debit_account_id",
        PendingTransferHasDifferentCreditAccountId = 40 => "pending_transfer_has_different_credit_account_id",
        PendingTransferHasDifferentLedger = 41 => "pending_transfer_has_different_ledger",
        PendingTransferHasDifferentCode = 42 => "pending_transfer_has_different_code",
        ExceedsPendingTransferAmount = 43 => "exceeds_pending_transfer_amount",
        PendingTransferHasDifferentAmount = 44 => "pending_transfer_has_different_amount",
        PendingTransferAlreadyPosted = 45 => "pending_transfer_already_posted",
        PendingTransferAlreadyVoided = 46 => "pending_transfer_already_voided",
        PendingTransferExpired = 47 => "pending_transfer_expired",
        DebitAccountAlreadyClosed = 48 => "debit_account_already_closed",
        CreditAccountAlreadyClosed = 49 => "credit_account_already_closed",
        OverflowsDebitsPending = 50 => "overflows_debits_pending",
        OverflowsCreditsPending = 51 => "overflows_credits_pending",
        OverflowsDebitsPosted = 52 => "overflows_debits_posted",
        OverflowsCreditsPosted = 53 => "overflows_credits_posted",
        OverflowsDebits = 54 => "overflows_debits",
        OverflowsCredits = 55 => "overflows_credits",
        OverflowsTimeout = 56 => "overflows_timeout",
        ExceedsCredits = 57 => "exceeds_credits",
        ExceedsDebits = 58 => "exceeds_debits",
    }
}

impl CreateTransferResult {
    /// Results that depend on the ledger's state at the moment rather than on the
    /// transfer itself. A transfer id that failed this way is remembered and fails
    /// again with `id_already_failed`, so a retry can never land with another outcome
    /// (TigerBeetle's "transient" errors).
    pub const fn is_transient(self) -> bool {
        matches!(
            self,
            Self::DebitAccountNotFound
                | Self::CreditAccountNotFound
                | Self::PendingTransferNotFound
                | Self::ExceedsCredits
                | Self::ExceedsDebits
                | Self::DebitAccountAlreadyClosed
                | Self::CreditAccountAlreadyClosed
                | Self::OverflowsDebitsPending
                | Self::OverflowsCreditsPending
                | Self::OverflowsDebitsPosted
                | Self::OverflowsCreditsPosted
                | Self::OverflowsDebits
                | Self::OverflowsCredits
                | Self::OverflowsTimeout
        )
    }

    /// The transfer is in the ledger: created now, or created before with the same fields.
    pub const fn is_applied(self) -> bool {
        matches!(self, Self::Ok | Self::Exists)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_through_their_numbers() {
        for code in 0..=60u16 {
            if let Some(r) = CreateTransferResult::from_code(code) {
                assert_eq!(r.code(), code);
                assert!(!r.as_str().is_empty());
            }
        }
        assert_eq!(
            CreateTransferResult::from_code(57),
            Some(CreateTransferResult::ExceedsCredits)
        );
        assert_eq!(CreateAccountResult::Exists.as_str(), "exists");
    }
}
