//! The test bank's data: each user's accounts, balances and transactions,
//! in UK Open Banking v3.1 shapes. Made up, and the same at every start.

use serde_json::{Value, json};

/// One account of a user.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Account {
    /// `AccountId`.
    pub id: &'static str,
    /// `Nickname`.
    pub nickname: &'static str,
    /// Sort code and account number (`UK.OBIE.SortCodeAccountNumber`).
    pub identification: &'static str,
    /// The balance in pence.
    pub balance_minor: u64,
}

const ALICE: &[Account] = &[
    Account {
        id: "22289",
        nickname: "Current",
        identification: "80200110203345",
        balance_minor: 123_456,
    },
    Account {
        id: "31820",
        nickname: "Savings",
        identification: "80200110203348",
        balance_minor: 1_050_000,
    },
];

const BOB: &[Account] = &[Account {
    id: "44011",
    nickname: "Current",
    identification: "80200112345678",
    balance_minor: 8_710,
}];

/// The accounts of `user` (the demo users `alice` and `bob` have some;
/// any other user has one generic current account).
///
/// ```
/// assert_eq!(fapi_server::bank::accounts("alice").len(), 2);
/// ```
#[must_use]
pub fn accounts(user: &str) -> &'static [Account] {
    match user {
        "alice" => ALICE,
        "bob" => BOB,
        _ => &[Account {
            id: "90001",
            nickname: "Current",
            identification: "80200100000001",
            balance_minor: 10_000,
        }],
    }
}

/// The account `id` of `user`, if it is theirs.
#[must_use]
pub fn account(user: &str, id: &str) -> Option<Account> {
    accounts(user).iter().find(|a| a.id == id).copied()
}

fn amount(minor: u64) -> String {
    format!("{}.{:02}", minor / 100, minor % 100)
}

/// `Data.Account[]` entry. `detail` adds the account identification
/// (`ReadAccountsDetail`).
#[must_use]
pub fn account_json(a: &Account, detail: bool) -> Value {
    let mut v = json!({
        "AccountId": a.id,
        "Currency": "GBP",
        "AccountType": "Personal",
        "AccountSubType": "CurrentAccount",
        "Nickname": a.nickname,
    });
    if detail && let Some(o) = v.as_object_mut() {
        let _ = o.insert(
            "Account".into(),
            json!([{"SchemeName": "UK.OBIE.SortCodeAccountNumber", "Identification": a.identification, "Name": a.nickname}]),
        );
    }
    v
}

/// `Data.Balance[]` of the account.
#[must_use]
pub fn balances_json(a: &Account) -> Value {
    json!([{
        "AccountId": a.id,
        "Amount": {"Amount": amount(a.balance_minor), "Currency": "GBP"},
        "CreditDebitIndicator": "Credit",
        "Type": "InterimAvailable",
        "DateTime": "2026-01-01T00:00:00+00:00",
    }])
}

/// `Data.Transaction[]` of the account: three made-up entries.
#[must_use]
pub fn transactions_json(a: &Account) -> Value {
    let items = [
        (
            "t-1",
            1_250,
            "Debit",
            "Coffee Shop",
            "2025-12-01T08:30:00+00:00",
        ),
        (
            "t-2",
            210_000,
            "Credit",
            "Salary",
            "2025-12-15T09:00:00+00:00",
        ),
        ("t-3", 6_499, "Debit", "Grocer", "2025-12-20T17:45:00+00:00"),
    ];
    Value::Array(
        items
            .iter()
            .map(|(id, minor, ind, info, when)| {
                json!({
                    "AccountId": a.id,
                    "TransactionId": format!("{}-{id}", a.id),
                    "Amount": {"Amount": amount(*minor), "Currency": "GBP"},
                    "CreditDebitIndicator": ind,
                    "Status": "Booked",
                    "BookingDateTime": when,
                    "TransactionInformation": info,
                })
            })
            .collect(),
    )
}
