//! The simulated payments, in memory: created `INITIATED` by `/init/payment`, settled
//! `SUCCESSFUL` or `FAILED` once their settle time has passed, or `CANCELLED` by
//! `/destroy/signature` before that.
//!
//! The outcome is decided by the documented test amounts (an amount ending in 13 fails, any other
//! succeeds) for the `API` tunnel, and by the checkout page's Pay and Fail buttons for
//! `CHECKOUTPAGE`, whose payment stays `INITIATED` until a button is pressed. A status is derived
//! from the clock when it is read, so a payment needs no timer unless a webhook must be sent.
//!
//! The store is bounded ([`crate::Limits::max_payments`]): past it the oldest payment is forgotten.
//! A payment answers only to the token that created it (its digest, compared in constant time).

use std::collections::{HashMap, VecDeque};
use std::sync::{Mutex, PoisonError};
use std::time::Instant;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::webhook::CallbackUrl;

/// The state of a payment, as ClaPay's `status_payment` spells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum PaymentStatus {
    /// Waiting for the customer or the operator.
    Initiated,
    /// Paid.
    Successful,
    /// Refused by the operator or the customer.
    Failed,
    /// Cancelled by the merchant (`/destroy/signature`).
    Cancelled,
}

impl PaymentStatus {
    /// ClaPay's spelling.
    pub fn code(self) -> &'static str {
        match self {
            PaymentStatus::Initiated => "INITIATED",
            PaymentStatus::Successful => "SUCCESSFUL",
            PaymentStatus::Failed => "FAILED",
            PaymentStatus::Cancelled => "CANCELLED",
        }
    }
}

/// How the customer pays.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Tunnel {
    /// Direct API payment: settles by itself.
    Api,
    /// A payment page: settles after its Pay or Fail button.
    Checkoutpage,
}

/// The outcome the documented test amounts give: an amount ending in 13 fails.
pub fn outcome_of_amount(amount: u64) -> PaymentStatus {
    if amount % 100 == 13 {
        PaymentStatus::Failed
    } else {
        PaymentStatus::Successful
    }
}

/// One payment.
#[derive(Debug, Clone)]
pub struct Payment {
    /// ClaPay's payment id: `TEST-` and a UUID.
    pub signature: String,
    /// The merchant's own id of the payment.
    pub transaction_id: String,
    /// The amount, in the currency's unit.
    pub amount: u64,
    /// The country's currency.
    pub currency: String,
    /// The country.
    pub country: String,
    /// The operators the token was allowed to use.
    pub operators: Vec<String>,
    /// The payment method.
    pub method: String,
    /// How the customer pays.
    pub tunnel: Tunnel,
    /// Where to send the webhook, if anywhere.
    pub callback: Option<CallbackUrl>,
    /// Where the checkout page sends the customer back.
    pub return_url: Option<String>,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// The digest of the token that created it.
    pub(crate) owner: [u8; 32],
    /// The outcome, once known (at creation for the API tunnel, on a button for the page).
    pub(crate) outcome: Option<PaymentStatus>,
    /// When the outcome takes effect.
    pub(crate) settles_at: Option<Instant>,
    pub(crate) cancelled: bool,
}

impl Payment {
    /// The status at `now`.
    pub fn status(&self, now: Instant) -> PaymentStatus {
        if self.cancelled {
            return PaymentStatus::Cancelled;
        }
        match (self.outcome, self.settles_at) {
            (Some(outcome), Some(at)) if at <= now => outcome,
            _ => PaymentStatus::Initiated,
        }
    }

    /// The body of the status answer and of the webhook.
    pub fn state_body(&self, now: Instant) -> serde_json::Value {
        serde_json::json!({
            "signature": self.signature,
            "transaction_id": self.transaction_id,
            "status_payment": self.status(now).code(),
            "amount": self.amount,
            "currency": self.currency,
            "country": self.country,
            "operators_code": self.operators,
            "method": self.method,
            "created_at": self.created_at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            "simulated": true,
        })
    }
}

/// Why a payment could not be found or changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PaymentError {
    /// No payment with this signature for this token (or it was forgotten).
    NotFound,
    /// It is no longer `INITIATED`.
    Settled(PaymentStatus),
    /// The checkout page was used on a payment of the `API` tunnel, or twice.
    NotAwaitingCustomer,
}

/// The payments of a gateway.
#[derive(Debug)]
pub struct Payments {
    capacity: usize,
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    /// Boxed: a payment is large, and the map moves its values when it grows.
    by_signature: HashMap<String, Box<Payment>>,
    oldest_first: VecDeque<String>,
}

impl Payments {
    /// An empty store of at most `capacity` payments.
    pub fn new(capacity: usize) -> Payments {
        Payments {
            capacity: capacity.max(1),
            inner: Mutex::default(),
        }
    }

    /// Keeps a new payment, forgetting the oldest past the capacity.
    pub fn insert(&self, payment: Payment) {
        let mut inner = self.lock();
        while inner.by_signature.len() >= self.capacity {
            match inner.oldest_first.pop_front() {
                Some(oldest) => {
                    inner.by_signature.remove(&oldest);
                }
                None => break,
            }
        }
        inner.oldest_first.push_back(payment.signature.clone());
        inner
            .by_signature
            .insert(payment.signature.clone(), Box::new(payment));
    }

    /// The payment with this signature, if the token with digest `owner` created it.
    pub fn get(&self, signature: &str, owner: &[u8; 32]) -> Result<Payment, PaymentError> {
        let inner = self.lock();
        match inner.by_signature.get(signature) {
            Some(payment) if owned_by(payment, owner) => Ok(Payment::clone(payment)),
            _ => Err(PaymentError::NotFound),
        }
    }

    /// The payment with this signature, whoever created it (the checkout page and the webhook
    /// sender, which hold its signature).
    pub fn get_any(&self, signature: &str) -> Option<Payment> {
        self.lock()
            .by_signature
            .get(signature)
            .map(|payment| Payment::clone(payment))
    }

    /// Cancels a payment that is still `INITIATED`.
    pub fn cancel(
        &self,
        signature: &str,
        owner: &[u8; 32],
        now: Instant,
    ) -> Result<Payment, PaymentError> {
        let mut inner = self.lock();
        let payment = match inner.by_signature.get_mut(signature) {
            Some(payment) if owned_by(payment, owner) => payment,
            _ => return Err(PaymentError::NotFound),
        };
        match payment.status(now) {
            PaymentStatus::Initiated => {
                payment.cancelled = true;
                Ok(Payment::clone(payment))
            }
            settled => Err(PaymentError::Settled(settled)),
        }
    }

    /// The customer's choice on the checkout page: the payment settles with `outcome` at
    /// `settles_at`.
    pub fn choose(
        &self,
        signature: &str,
        outcome: PaymentStatus,
        settles_at: Instant,
    ) -> Result<Payment, PaymentError> {
        let mut inner = self.lock();
        let payment = inner
            .by_signature
            .get_mut(signature)
            .ok_or(PaymentError::NotFound)?;
        if payment.cancelled {
            return Err(PaymentError::Settled(PaymentStatus::Cancelled));
        }
        if payment.tunnel != Tunnel::Checkoutpage || payment.outcome.is_some() {
            return Err(PaymentError::NotAwaitingCustomer);
        }
        payment.outcome = Some(outcome);
        payment.settles_at = Some(settles_at);
        Ok(Payment::clone(payment))
    }

    /// How many payments are kept.
    pub fn count(&self) -> usize {
        self.lock().by_signature.len()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

fn owned_by(payment: &Payment, owner: &[u8; 32]) -> bool {
    clapay_core::secret::digests_equal(&payment.owner, owner)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn payment(signature: &str, tunnel: Tunnel, amount: u64, settles_in: Duration) -> Payment {
        let now = Instant::now();
        Payment {
            signature: signature.to_string(),
            transaction_id: "t".into(),
            amount,
            currency: "XOF".into(),
            country: "CI".into(),
            operators: vec!["OM".into()],
            method: "MERCHANT".into(),
            tunnel,
            callback: None,
            return_url: None,
            created_at: Utc::now(),
            owner: [7; 32],
            outcome: (tunnel == Tunnel::Api).then(|| outcome_of_amount(amount)),
            settles_at: (tunnel == Tunnel::Api).then(|| now + settles_in),
            cancelled: false,
        }
    }

    #[test]
    fn amounts_ending_in_13_fail() {
        assert_eq!(outcome_of_amount(1013), PaymentStatus::Failed);
        assert_eq!(outcome_of_amount(13), PaymentStatus::Failed);
        assert_eq!(outcome_of_amount(130), PaymentStatus::Successful);
        assert_eq!(outcome_of_amount(5000), PaymentStatus::Successful);
    }

    #[test]
    fn a_payment_settles_when_its_time_comes() {
        let store = Payments::new(10);
        store.insert(payment("a", Tunnel::Api, 1013, Duration::from_secs(60)));
        let found = store.get("a", &[7; 32]).expect("found");
        let now = Instant::now();
        assert_eq!(found.status(now), PaymentStatus::Initiated);
        assert_eq!(
            found.status(now + Duration::from_secs(61)),
            PaymentStatus::Failed
        );
    }

    #[test]
    fn another_token_does_not_see_the_payment() {
        let store = Payments::new(10);
        store.insert(payment("a", Tunnel::Api, 100, Duration::ZERO));
        assert_eq!(store.get("a", &[8; 32]).err(), Some(PaymentError::NotFound));
    }

    #[test]
    fn only_an_initiated_payment_is_cancelled() {
        let store = Payments::new(10);
        store.insert(payment("late", Tunnel::Api, 100, Duration::from_secs(60)));
        store.insert(payment("done", Tunnel::Api, 100, Duration::ZERO));
        let now = Instant::now();
        assert!(store.cancel("late", &[7; 32], now).is_ok());
        assert_eq!(
            store.cancel("done", &[7; 32], now).err(),
            Some(PaymentError::Settled(PaymentStatus::Successful))
        );
        assert_eq!(
            store.get("late", &[7; 32]).expect("kept").status(now),
            PaymentStatus::Cancelled
        );
    }

    #[test]
    fn the_checkout_page_decides_once() {
        let store = Payments::new(10);
        store.insert(payment("page", Tunnel::Checkoutpage, 100, Duration::ZERO));
        let now = Instant::now();
        assert_eq!(
            store.get_any("page").expect("kept").status(now),
            PaymentStatus::Initiated,
            "waits for the customer"
        );
        store
            .choose("page", PaymentStatus::Failed, now)
            .expect("first choice");
        assert_eq!(
            store.choose("page", PaymentStatus::Successful, now).err(),
            Some(PaymentError::NotAwaitingCustomer)
        );
        assert_eq!(
            store.get_any("page").expect("kept").status(now),
            PaymentStatus::Failed
        );
    }

    #[test]
    fn the_store_forgets_the_oldest_past_its_capacity() {
        let store = Payments::new(2);
        for name in ["a", "b", "c"] {
            store.insert(payment(name, Tunnel::Api, 100, Duration::ZERO));
        }
        assert_eq!(store.count(), 2);
        assert!(store.get_any("a").is_none(), "the oldest goes first");
        assert!(store.get_any("c").is_some());
    }
}
