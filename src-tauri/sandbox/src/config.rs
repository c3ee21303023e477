//! What a gateway is started with: its behaviour ([`Config`]) and the bounds that keep one
//! misbehaving client from taking the machine ([`Limits`]).

use std::time::Duration;

/// How the gateway behaves.
#[derive(Debug, Clone)]
pub struct Config {
    /// How long an initiated payment stays `INITIATED` before it settles.
    pub settle_after: Duration,
    /// Accept live tokens too (`--allow-live`). Off, a live secret is answered 401 `live_token`.
    pub allow_live: bool,
    /// How webhooks are retried.
    pub webhook_retry: RetryPolicy,
    /// The bounds.
    pub limits: Limits,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            settle_after: DEFAULT_SETTLE_AFTER,
            allow_live: false,
            webhook_retry: RetryPolicy::default(),
            limits: Limits::default(),
        }
    }
}

/// The settle delay of `--settle-after` when it is not given.
pub const DEFAULT_SETTLE_AFTER: Duration = Duration::from_secs(2);

/// The longest settle delay accepted: a payment is held in memory until it settles.
pub const MAX_SETTLE_AFTER: Duration = Duration::from_secs(3600);

/// Webhook retries: `attempts` in all, waiting `first_delay`, then twice as long each time, at
/// most `max_delay`.
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    /// Attempts in all, the first included.
    pub attempts: u32,
    /// The wait after the first failed attempt.
    pub first_delay: Duration,
    /// The longest wait between two attempts.
    pub max_delay: Duration,
    /// How long one attempt may take (connect, send, answer).
    pub attempt_timeout: Duration,
}

impl Default for RetryPolicy {
    fn default() -> RetryPolicy {
        RetryPolicy {
            attempts: 5,
            first_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(8),
            attempt_timeout: Duration::from_secs(5),
        }
    }
}

impl RetryPolicy {
    /// The wait before attempt `attempt` (1-based; the first attempt does not wait).
    pub fn delay_before(&self, attempt: u32) -> Duration {
        if attempt <= 1 {
            return Duration::ZERO;
        }
        let doublings = (attempt - 2).min(16);
        self.first_delay
            .saturating_mul(1 << doublings)
            .min(self.max_delay)
    }
}

/// The bounds of one gateway.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// The largest request body, in bytes; a larger one is answered 413.
    pub body_bytes: usize,
    /// Connections served at once. Further connections wait in the listen queue of the kernel
    /// until one closes: they are queued, not refused.
    pub max_connections: usize,
    /// Requests handled at once across all connections; further requests wait for a slot.
    pub max_in_flight: usize,
    /// How long a client may take to send a request's headers, and how long an idle
    /// keep-alive connection is kept: past it the connection is closed.
    pub header_read_timeout: Duration,
    /// How long a request may take once its headers are in (a body sent slowly included).
    pub request_timeout: Duration,
    /// On stop, how long requests in progress may take to finish before their connections are
    /// closed.
    pub shutdown_grace: Duration,
    /// Payments kept in memory; past it the oldest is forgotten (its status is then 404).
    pub max_payments: usize,
    /// Webhook deliveries in progress at once; past it a settled payment's webhook is dropped
    /// and the drop is logged.
    pub max_webhooks: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            body_bytes: 64 * 1024,
            max_connections: 512,
            max_in_flight: 256,
            header_read_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(15),
            shutdown_grace: Duration::from_secs(10),
            max_payments: 100_000,
            max_webhooks: 1024,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_delays_double_up_to_the_cap() {
        let policy = RetryPolicy {
            attempts: 6,
            first_delay: Duration::from_millis(100),
            max_delay: Duration::from_millis(300),
            attempt_timeout: Duration::from_secs(1),
        };
        let delays: Vec<u128> = (1..=5)
            .map(|attempt| policy.delay_before(attempt).as_millis())
            .collect();
        assert_eq!(
            delays,
            vec![0, 100, 200, 300, 300],
            "no wait first, then doubling, capped"
        );
    }
}
