//! [`Metrics`]: the counters and the store latency histogram served at
//! `/metrics` in the Prometheus text exposition format 0.0.4, and
//! [`timed`], which wraps each store so that every call is measured.
//!
//! Hand-written rather than the `metrics` + `metrics-exporter-prometheus`
//! or `prometheus` crates: the server needs two counters and one
//! histogram, a few dozen lines, where those crates bring their own
//! registries, atomics shims and (for the exporter) an HTTP stack to
//! build; the exposition format is a small, stable text format.
//!
//! Labels are bounded: the route is the router's pattern
//! (`/open-banking/v3.1/aisp/accounts/{id}/balances`, never the path
//! itself), `unmatched` for any other path; the refusal's code is the core
//! error's stable code; a signing group member is named by its token
//! label and the group's name for it (`token <label> in <module path>`),
//! never by anything the URI's PIN is in.
//!
//! When the server's key is an HA signing group
//! ([`fapi::SigningKey::hsm_group`]), `/metrics` also has, per member:
//! `fapi_signing_group_member_in` (1 in, 0 out),
//! `fapi_signing_group_member_out_seconds`,
//! `fapi_signing_group_member_signatures_total` and
//! `fapi_signing_group_member_failures_total`, and
//! `fapi_signing_group_members_in` for the group.

use core::fmt::Write as _;
use core::time::Duration;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use async_trait::async_trait;
use fapi::store::{HandleKey, HandleStore, ReplayStore};
use fapi_core::Error as CoreError;

use fapi::SigningKey;
use fapi_pkcs11::MemberHealth;

use crate::storage::stores::Stores;

/// The upper bounds of the store latency buckets, in seconds.
const BUCKETS: [f64; 10] = [0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1.0, 5.0];

/// Requests by (method, route, status).
type RequestKey = (String, String, u16);
/// Refusals by (code, reason, OAuth error); code and reason `none` when no
/// core error is behind the refusal.
type RefusalKey = (String, &'static str, &'static str);

#[derive(Default)]
struct Histogram {
    /// Per bucket of [`BUCKETS`], not cumulative (summed when rendered).
    counts: [u64; BUCKETS.len()],
    count: u64,
    sum: f64,
}

#[derive(Default)]
struct Counters {
    requests: BTreeMap<RequestKey, u64>,
    refusals: BTreeMap<RefusalKey, u64>,
    store: BTreeMap<(&'static str, &'static str), Histogram>,
}

/// The server's metrics (one set per [`crate::start`]ed server).
///
/// ```
/// let m = fapi_server::metrics::Metrics::default();
/// m.request("GET", "/jwks", 200);
/// assert!(m.render().contains(r#"fapi_http_requests_total{method="GET",route="/jwks",status="200"} 1"#));
/// ```
#[derive(Default)]
pub struct Metrics {
    counters: Mutex<Counters>,
    /// The server's key when it is an HA signing group.
    group: Option<SigningKey>,
}

impl core::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

impl Metrics {
    /// Metrics that report the health of `key`'s members when `key` is an
    /// HA signing group (else the same as [`Metrics::default`]).
    ///
    /// ```
    /// let key = fapi::SigningKey::generate(fapi_core::Alg::Es256)?;
    /// let m = fapi_server::metrics::Metrics::for_key(&key);
    /// assert!(m.signing_group().is_none());
    /// assert!(!m.render().contains("fapi_signing_group"));
    /// # Ok::<(), fapi::KeyError>(())
    /// ```
    #[must_use]
    pub fn for_key(key: &SigningKey) -> Self {
        Self {
            counters: Mutex::default(),
            group: key.hsm_group().is_some().then(|| key.clone()),
        }
    }

    /// The HA signing group whose members these metrics report, if the
    /// server's key is one.
    #[must_use]
    pub fn signing_group(&self) -> Option<&fapi_pkcs11::HsmGroup> {
        self.group.as_ref().and_then(SigningKey::hsm_group)
    }

    /// The server's key when it is an HA signing group.
    #[must_use]
    pub fn signing_key(&self) -> Option<&SigningKey> {
        self.group.as_ref()
    }

    fn with<R>(&self, f: impl FnOnce(&mut Counters) -> R) -> R {
        f(&mut self.counters.lock().unwrap_or_else(PoisonError::into_inner))
    }

    /// Counts one answered request.
    pub fn request(&self, method: &str, route: &str, status: u16) {
        self.with(|c| {
            *c.requests
                .entry((method.to_owned(), route.to_owned(), status))
                .or_default() += 1;
        });
    }

    /// Counts one refusal: the core error behind it (if any) and its
    /// OAuth error.
    pub fn refusal(&self, code: Option<CoreError>, oauth_error: &'static str) {
        let key = match code {
            Some(e) => (e.code().to_string(), e.name(), oauth_error),
            None => ("none".to_owned(), "none", oauth_error),
        };
        self.with(|c| *c.refusals.entry(key).or_default() += 1);
    }

    /// Records one store call of `took`.
    pub fn store_call(&self, store: &'static str, op: &'static str, took: Duration) {
        let s = took.as_secs_f64();
        self.with(|c| {
            let h = c.store.entry((store, op)).or_default();
            if let Some(i) = BUCKETS.iter().position(|b| s <= *b)
                && let Some(n) = h.counts.get_mut(i)
            {
                *n += 1;
            }
            h.count += 1;
            h.sum += s;
        });
    }

    /// The text exposition format 0.0.4 (`text/plain; version=0.0.4`).
    #[must_use]
    pub fn render(&self) -> String {
        let mut out = String::new();
        self.with(|c| {
            out.push_str("# HELP fapi_http_requests_total Requests answered, by method, route and status.\n# TYPE fapi_http_requests_total counter\n");
            for ((m, r, s), n) in &c.requests {
                let _ = writeln!(
                    out,
                    "fapi_http_requests_total{{method=\"{}\",route=\"{}\",status=\"{s}\"}} {n}",
                    escape(m),
                    escape(r)
                );
            }
            out.push_str("# HELP fapi_refusals_total Refused requests, by fapi error code, its name and the OAuth error.\n# TYPE fapi_refusals_total counter\n");
            for ((code, reason, oauth), n) in &c.refusals {
                let _ = writeln!(
                    out,
                    "fapi_refusals_total{{code=\"{}\",reason=\"{}\",oauth_error=\"{}\"}} {n}",
                    escape(code),
                    escape(reason),
                    escape(oauth)
                );
            }
            out.push_str("# HELP fapi_store_call_duration_seconds Store calls, by store and operation.\n# TYPE fapi_store_call_duration_seconds histogram\n");
            for ((store, op), h) in &c.store {
                let labels = format!("store=\"{}\",op=\"{}\"", escape(store), escape(op));
                let mut cumulative = 0u64;
                for (le, n) in BUCKETS.iter().zip(h.counts.iter()) {
                    cumulative += n;
                    let _ = writeln!(
                        out,
                        "fapi_store_call_duration_seconds_bucket{{{labels},le=\"{le}\"}} {cumulative}"
                    );
                }
                let _ = writeln!(
                    out,
                    "fapi_store_call_duration_seconds_bucket{{{labels},le=\"+Inf\"}} {}",
                    h.count
                );
                let _ = writeln!(
                    out,
                    "fapi_store_call_duration_seconds_sum{{{labels}}} {}",
                    h.sum
                );
                let _ = writeln!(
                    out,
                    "fapi_store_call_duration_seconds_count{{{labels}}} {}",
                    h.count
                );
            }
        });
        if let Some(group) = self.signing_group() {
            render_group(&mut out, &group.health());
        }
        out
    }
}

/// The signing group's members in the text exposition format.
///
/// ```
/// # use core::time::Duration;
/// let members = [fapi_pkcs11::MemberHealth {
///     name: "token hsm-a in /usr/lib/softhsm/libsofthsm2.so".into(),
///     token: "hsm-a".into(),
///     is_in: false,
///     out_for: Duration::from_millis(1500),
///     signatures: 7,
///     failures: 1,
///     last_error: None,
/// }];
/// let mut out = String::new();
/// fapi_server::metrics::render_group(&mut out, &members);
/// assert!(out.contains(r#"fapi_signing_group_member_in{token="hsm-a",member="token hsm-a in /usr/lib/softhsm/libsofthsm2.so"} 0"#));
/// assert!(out.contains("fapi_signing_group_members_in 0\n"));
/// ```
pub fn render_group(out: &mut String, members: &[MemberHealth]) {
    let labels = |m: &MemberHealth| {
        format!(
            "token=\"{}\",member=\"{}\"",
            escape(&m.token),
            escape(&m.name)
        )
    };
    let members_in = members.iter().filter(|m| m.is_in).count();
    let _ = writeln!(
        out,
        "# HELP fapi_signing_group_members_in Members of the HA signing group that are in.\n# TYPE fapi_signing_group_members_in gauge\nfapi_signing_group_members_in {members_in}"
    );
    out.push_str("# HELP fapi_signing_group_member_in Whether the member is in (1, signing) or out (0, until a call probes it again).\n# TYPE fapi_signing_group_member_in gauge\n");
    for m in members {
        let _ = writeln!(
            out,
            "fapi_signing_group_member_in{{{}}} {}",
            labels(m),
            u8::from(m.is_in)
        );
    }
    out.push_str("# HELP fapi_signing_group_member_out_seconds How long the member has been out (0 when in).\n# TYPE fapi_signing_group_member_out_seconds gauge\n");
    for m in members {
        let _ = writeln!(
            out,
            "fapi_signing_group_member_out_seconds{{{}}} {}",
            labels(m),
            m.out_for.as_secs_f64()
        );
    }
    out.push_str("# HELP fapi_signing_group_member_signatures_total Signatures the member made.\n# TYPE fapi_signing_group_member_signatures_total counter\n");
    for m in members {
        let _ = writeln!(
            out,
            "fapi_signing_group_member_signatures_total{{{}}} {}",
            labels(m),
            m.signatures
        );
    }
    out.push_str("# HELP fapi_signing_group_member_failures_total Calls the member failed through its own fault (each taken to another member).\n# TYPE fapi_signing_group_member_failures_total counter\n");
    for m in members {
        let _ = writeln!(
            out,
            "fapi_signing_group_member_failures_total{{{}}} {}",
            labels(m),
            m.failures
        );
    }
}

/// A label value escaped as the exposition format asks (`\\`, `\"`, `\n`).
fn escape(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// The same stores, each call timed into `metrics`
/// (`fapi_store_call_duration_seconds`).
#[must_use]
pub fn timed(stores: Stores, metrics: &Arc<Metrics>) -> Stores {
    fn wrap<V: Clone + Send + Sync + 'static>(
        name: &'static str,
        inner: Arc<dyn HandleStore<V>>,
        metrics: &Arc<Metrics>,
    ) -> Arc<dyn HandleStore<V>> {
        Arc::new(TimedStore {
            name,
            inner,
            metrics: Arc::clone(metrics),
        })
    }
    Stores {
        replay: Arc::new(TimedReplay {
            inner: stores.replay,
            metrics: Arc::clone(metrics),
        }),
        codes: wrap("codes", stores.codes, metrics),
        requests: wrap("requests", stores.requests, metrics),
        refresh: wrap("refresh", stores.refresh, metrics),
        revocations: wrap("revocations", stores.revocations, metrics),
        consents: wrap("consents", stores.consents, metrics),
        transactions: wrap("transactions", stores.transactions, metrics),
    }
}

struct TimedReplay {
    inner: Arc<dyn ReplayStore>,
    metrics: Arc<Metrics>,
}

#[async_trait]
impl ReplayStore for TimedReplay {
    async fn record_once(&self, id: &[u8], expires_at: u64, now: u64) -> Result<(), CoreError> {
        let t = Instant::now();
        let r = self.inner.record_once(id, expires_at, now).await;
        self.metrics
            .store_call("replay", "record_once", t.elapsed());
        r
    }
}

struct TimedStore<V> {
    name: &'static str,
    inner: Arc<dyn HandleStore<V>>,
    metrics: Arc<Metrics>,
}

impl<V> TimedStore<V> {
    fn done(&self, op: &'static str, t: Instant) {
        self.metrics.store_call(self.name, op, t.elapsed());
    }
}

#[async_trait]
impl<V: Clone + Send + Sync + 'static> HandleStore<V> for TimedStore<V> {
    async fn insert(
        &self,
        key: HandleKey,
        value: V,
        expires_at: u64,
        now: u64,
    ) -> Result<(), CoreError> {
        let t = Instant::now();
        let r = self.inner.insert(key, value, expires_at, now).await;
        self.done("insert", t);
        r
    }

    async fn take(&self, key: &HandleKey, now: u64) -> Result<V, CoreError> {
        let t = Instant::now();
        let r = self.inner.take(key, now).await;
        self.done("take", t);
        r
    }

    async fn get(&self, key: &HandleKey, now: u64) -> Result<V, CoreError> {
        let t = Instant::now();
        let r = self.inner.get(key, now).await;
        self.done("get", t);
        r
    }

    async fn remove(&self, key: &HandleKey) -> Result<(), CoreError> {
        let t = Instant::now();
        let r = self.inner.remove(key).await;
        self.done("remove", t);
        r
    }

    async fn replace(
        &self,
        key: &HandleKey,
        value: V,
        expires_at: u64,
        now: u64,
    ) -> Result<V, CoreError> {
        let t = Instant::now();
        let r = self.inner.replace(key, value, expires_at, now).await;
        self.done("replace", t);
        r
    }
}
