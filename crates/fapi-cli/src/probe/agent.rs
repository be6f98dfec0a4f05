//! The user's browser, without a browser: the form-post convention
//! (`--user NAME=VALUE`) or a command the user supplies
//! (`--user-command`).
//!
//! The form convention: GET the authorization URL with a cookie jar,
//! follow redirects within the allowed origins (at most 10), and on each
//! HTML page with a `<form>` take the first form (or the one whose inputs
//! include a `--user` name), keep its hidden and pre-filled inputs, set
//! the `--user` values, add the first submit button's `name=value`, and
//! submit it (its method, its action resolved against the page). Stop at
//! the redirect to the client's `redirect_uri`. At most 8 pages.

use core::time::Duration;
use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Instant;

use http::{Request, header};

use crate::https::{Answer, Http};

/// At most this many redirects are followed in one interaction.
const MAX_REDIRECTS: usize = 10;
/// At most this many pages are submitted in one interaction.
const MAX_PAGES: usize = 8;
/// The longest a `--user-command` may run.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(60);

/// Where an interaction ended.
#[derive(Debug)]
pub enum Landing {
    /// Back at the client's redirect URI: the full URL (with `code`,
    /// `state`, `iss`, or `error`; or `response` under JARM).
    Redirect(String),
    /// The server stopped on a page or refusal of its own: that answer.
    Stopped(Answer),
}

impl Landing {
    /// Whether the redirect carries an authorization code (plain or JARM
    /// `response`), i.e. the server accepted the request.
    pub fn has_code(&self) -> bool {
        match self {
            Self::Redirect(u) => url::Url::parse(u)
                .is_ok_and(|u| u.query_pairs().any(|(k, _)| k == "code" || k == "response")),
            Self::Stopped(_) => false,
        }
    }

    /// What happened, for a report.
    pub fn summary(&self) -> String {
        match self {
            Self::Redirect(u) => {
                let parsed = url::Url::parse(u).ok();
                let error = parsed.as_ref().and_then(|u| {
                    u.query_pairs()
                        .find(|(k, _)| k == "error")
                        .map(|(_, v)| v.into_owned())
                });
                match error {
                    Some(e) => format!("redirected back with error={e}"),
                    None if self.has_code() => "redirected back with a code".to_owned(),
                    None => "redirected back without a code".to_owned(),
                }
            }
            Self::Stopped(a) => format!("stopped at {}", a.summary()),
        }
    }

    /// The HTTP status the server stopped with (`None` for a redirect back).
    pub fn status(&self) -> Option<u16> {
        match self {
            Self::Redirect(_) => None,
            Self::Stopped(a) => Some(a.status),
        }
    }
}

/// How the user's login and consent are played.
#[derive(Debug)]
pub struct Agent {
    users: Vec<(String, String)>,
    command: Option<String>,
    origins: Vec<String>,
    /// Per origin, the cookies set (name, value).
    ///
    /// Hand-written: reqwest's cookie store is a feature this workspace
    /// does not build. The jar keeps `name=value` per origin and ignores
    /// `Path`, `Domain` and expiry: it lives for one probe run against
    /// one server.
    jar: Mutex<BTreeMap<String, BTreeMap<String, String>>>,
}

impl Agent {
    /// The agent: `users` are the `--user NAME=VALUE` pairs, `command` the
    /// `--user-command`, `origins` the only origins it may visit.
    pub fn new(
        users: &[String],
        command: Option<String>,
        origins: Vec<String>,
    ) -> Result<Self, String> {
        let mut pairs = Vec::new();
        for u in users {
            let (k, v) = u
                .split_once('=')
                .ok_or_else(|| format!("--user {u:?}: expected NAME=VALUE"))?;
            pairs.push((k.to_owned(), v.to_owned()));
        }
        Ok(Self {
            users: pairs,
            command,
            origins,
            jar: Mutex::new(BTreeMap::new()),
        })
    }

    /// Plays the user from `url` until the redirect to `redirect_uri`.
    /// `Err` is a failure of the interaction itself (a redirect outside
    /// the allowed origins, too many pages, a command that failed).
    pub async fn authorize(
        &self,
        http: &Http,
        url: &str,
        redirect_uri: &str,
    ) -> Result<Landing, String> {
        match &self.command {
            Some(cmd) => run_command(cmd, url, redirect_uri)
                .await
                .map(Landing::Redirect),
            None => self.forms(http, url, redirect_uri).await,
        }
    }

    fn allowed(&self, url: &str) -> bool {
        super::metadata::origin(url).is_some_and(|o| self.origins.contains(&o))
    }

    async fn forms(&self, http: &Http, url: &str, redirect_uri: &str) -> Result<Landing, String> {
        let mut next = self.request("GET", url, None)?;
        let mut at = url.to_owned();
        let mut redirects = 0;
        let mut pages = 0;
        loop {
            let answer = http
                .send(next)
                .await
                .map_err(|f| f.line().unwrap_or_default())?;
            self.keep_cookies(&at, &answer);
            if matches!(answer.status, 301 | 302 | 303 | 307 | 308) {
                let location = answer
                    .header("location")
                    .ok_or("a redirect without Location")?;
                let target = resolve(&at, location)?;
                if is_redirect_uri(&target, redirect_uri) {
                    return Ok(Landing::Redirect(target));
                }
                redirects += 1;
                if redirects > MAX_REDIRECTS {
                    return Err(format!("more than {MAX_REDIRECTS} redirects"));
                }
                if !self.allowed(&target) {
                    return Err(format!(
                        "a redirect to {target}, outside the issuer's origins ({})",
                        self.origins.join(", ")
                    ));
                }
                let method = if matches!(answer.status, 307 | 308) {
                    "POST"
                } else {
                    "GET"
                };
                if method == "POST" {
                    return Err(format!(
                        "a {} redirect of a form post to {target}",
                        answer.status
                    ));
                }
                next = self.request("GET", &target, None)?;
                at = target;
                continue;
            }
            let is_html = answer
                .header("content-type")
                .is_none_or(|c| c.contains("html"));
            let form = if answer.status == 200 && is_html {
                pick_form(&answer.body, &self.users)
            } else {
                None
            };
            let Some(form) = form else {
                return Ok(Landing::Stopped(answer));
            };
            pages += 1;
            if pages > MAX_PAGES {
                return Err(format!("more than {MAX_PAGES} pages"));
            }
            let mut fields = form.fields;
            for (k, v) in &self.users {
                if let Some(f) = fields.iter_mut().find(|(n, _)| n == k) {
                    f.1.clone_from(v);
                } else if form.names.contains(k) {
                    fields.push((k.clone(), v.clone()));
                }
            }
            let action = resolve(&at, form.action.as_deref().unwrap_or(&at))?;
            if !self.allowed(&action) {
                return Err(format!(
                    "a form posting to {action}, outside the issuer's origins"
                ));
            }
            let mut body = form_urlencoded::Serializer::new(String::new());
            for (k, v) in &fields {
                let _ = body.append_pair(k, v);
            }
            let body = body.finish();
            if form.method.eq_ignore_ascii_case("get") {
                let mut u = url::Url::parse(&action).map_err(|e| e.to_string())?;
                u.set_query(Some(&body));
                at = u.to_string();
                next = self.request("GET", &at, None)?;
            } else {
                next = self.request("POST", &action, Some(body))?;
                at = action;
            }
        }
    }

    fn request(
        &self,
        method: &str,
        url: &str,
        form: Option<String>,
    ) -> Result<Request<String>, String> {
        let mut b = Request::builder().method(method).uri(url);
        if let Some(o) = super::metadata::origin(url) {
            let jar = self
                .jar
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            if let Some(c) = jar.get(&o).filter(|c| !c.is_empty()) {
                let line = c
                    .iter()
                    .map(|(k, v)| format!("{k}={v}"))
                    .collect::<Vec<_>>()
                    .join("; ");
                b = b.header(header::COOKIE, line);
            }
        }
        let body = match form {
            Some(f) => {
                b = b.header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
                f
            }
            None => String::new(),
        };
        b.body(body).map_err(|e| format!("{method} {url}: {e}"))
    }

    fn keep_cookies(&self, url: &str, answer: &Answer) {
        let Some(o) = super::metadata::origin(url) else {
            return;
        };
        let mut jar = self
            .jar
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let cookies = jar.entry(o).or_default();
        for v in answer.headers.get_all(header::SET_COOKIE) {
            let Ok(v) = v.to_str() else { continue };
            let pair = v.split(';').next().unwrap_or("");
            if let Some((k, val)) = pair.split_once('=') {
                let k = k.trim().to_owned();
                let expired = v.to_ascii_lowercase().contains("max-age=0");
                if val.is_empty() || expired {
                    let _ = cookies.remove(&k);
                } else {
                    let _ = cookies.insert(k, val.trim().to_owned());
                }
            }
        }
    }
}

/// Whether `url` is the client's redirect URI (scheme, host, port and
/// path equal).
pub fn is_redirect_uri(url: &str, redirect_uri: &str) -> bool {
    let strip = |u: &str| u.split(['?', '#']).next().unwrap_or(u).to_owned();
    strip(url) == strip(redirect_uri)
}

fn resolve(base: &str, target: &str) -> Result<String, String> {
    url::Url::parse(base)
        .and_then(|b| b.join(target))
        .map(|u| u.to_string())
        .map_err(|e| format!("{target:?} against {base}: {e}"))
}

/// A form of a page, read.
#[derive(Debug)]
struct Form {
    method: String,
    action: Option<String>,
    /// The fields it submits as found (hidden, pre-filled, checked).
    fields: Vec<(String, String)>,
    /// The names of all its inputs.
    names: Vec<String>,
}

/// The attributes of a tag's text (`<input type="x" name=y checked>`),
/// names lower-cased, values with their HTML entities decoded.
///
/// Hand-written: the probe reads login and consent forms (inputs,
/// buttons, a form's method and action); an HTML parser (html5ever) would
/// be the largest dependency of the crate for that. Comments, scripts and
/// malformed markup are not understood: a page the convention cannot read
/// needs `--user-command`.
fn attributes(tag: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let s = tag.trim_start_matches('<');
    let s = s.trim_end_matches('>').trim_end_matches('/');
    let mut chars = s.char_indices().peekable();
    // Skip the tag name.
    while let Some((_, c)) = chars.peek() {
        if c.is_whitespace() {
            break;
        }
        let _ = chars.next();
    }
    loop {
        while chars.peek().is_some_and(|(_, c)| c.is_whitespace()) {
            let _ = chars.next();
        }
        let Some(&(start, _)) = chars.peek() else {
            break;
        };
        let mut end = s.len();
        while let Some(&(i, c)) = chars.peek() {
            if c == '=' || c.is_whitespace() {
                end = i;
                break;
            }
            let _ = chars.next();
        }
        let name = s[start..end].to_ascii_lowercase();
        while chars.peek().is_some_and(|(_, c)| c.is_whitespace()) {
            let _ = chars.next();
        }
        let mut value = String::new();
        if chars.peek().is_some_and(|(_, c)| *c == '=') {
            let _ = chars.next();
            while chars.peek().is_some_and(|(_, c)| c.is_whitespace()) {
                let _ = chars.next();
            }
            match chars.peek().map(|(_, c)| *c) {
                Some(q @ ('"' | '\'')) => {
                    let _ = chars.next();
                    for (_, c) in chars.by_ref() {
                        if c == q {
                            break;
                        }
                        value.push(c);
                    }
                }
                _ => {
                    while let Some(&(_, c)) = chars.peek() {
                        if c.is_whitespace() {
                            break;
                        }
                        value.push(c);
                        let _ = chars.next();
                    }
                }
            }
        }
        if !name.is_empty() {
            out.push((name, html_escape::decode_html_entities(&value).into_owned()));
        }
    }
    out
}

fn attr<'a>(attrs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    attrs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// The tags `<name ...>` in `html`, in order.
fn tags<'a>(html: &'a str, name: &str) -> Vec<&'a str> {
    let lower = html.to_ascii_lowercase();
    let open = format!("<{name}");
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(i) = lower[from..].find(&open) {
        let start = from + i;
        let after = lower.as_bytes().get(start + open.len()).copied();
        if !matches!(after, Some(b' ' | b'>' | b'/' | b'\t' | b'\n' | b'\r')) {
            from = start + open.len();
            continue;
        }
        let Some(end) = html[start..].find('>') else {
            break;
        };
        out.push(&html[start..=start + end]);
        from = start + end + 1;
    }
    out
}

fn read_form(form_tag: &str, inner: &str) -> Form {
    let fa = attributes(form_tag);
    let mut fields = Vec::new();
    let mut names = Vec::new();
    let mut submit: Option<(String, String)> = None;
    let mut have_submit = false;
    // Inputs and buttons in document order.
    let lower = inner.to_ascii_lowercase();
    let mut controls: Vec<(usize, &str)> = Vec::new();
    for kind in ["input", "button", "textarea"] {
        for t in tags(inner, kind) {
            let at = t.as_ptr() as usize - inner.as_ptr() as usize;
            controls.push((at, t));
        }
    }
    controls.sort_by_key(|(at, _)| *at);
    for (at, t) in controls {
        let a = attributes(t);
        let name = attr(&a, "name").map(str::to_owned);
        let kind = attr(&a, "type").unwrap_or("").to_ascii_lowercase();
        let is_button = lower[at..].starts_with("<button");
        if is_button || kind == "submit" || kind == "image" {
            if !have_submit && (!is_button || matches!(kind.as_str(), "" | "submit")) {
                have_submit = true;
                if let Some(n) = name {
                    submit = Some((n, attr(&a, "value").unwrap_or("").to_owned()));
                }
            }
            continue;
        }
        let Some(name) = name else { continue };
        names.push(name.clone());
        if matches!(kind.as_str(), "checkbox" | "radio") && attr(&a, "checked").is_none() {
            continue;
        }
        if matches!(kind.as_str(), "button" | "reset" | "file") {
            continue;
        }
        fields.push((name, attr(&a, "value").unwrap_or("").to_owned()));
    }
    if let Some(s) = submit {
        fields.push(s);
    }
    Form {
        method: attr(&fa, "method").unwrap_or("get").to_owned(),
        action: attr(&fa, "action")
            .filter(|a| !a.is_empty())
            .map(str::to_owned),
        fields,
        names,
    }
}

/// The form to submit on a page: the first whose inputs include a
/// `--user` name, else the first.
fn pick_form(html: &str, users: &[(String, String)]) -> Option<Form> {
    let lower = html.to_ascii_lowercase();
    let mut forms = Vec::new();
    for t in tags(html, "form") {
        let start = t.as_ptr() as usize - html.as_ptr() as usize;
        let inner_start = start + t.len();
        let end = lower[inner_start..]
            .find("</form")
            .map_or(html.len(), |e| inner_start + e);
        forms.push(read_form(t, &html[inner_start..end]));
    }
    let wanted = forms
        .iter()
        .position(|f| users.iter().any(|(k, _)| f.names.contains(k)));
    match wanted {
        Some(i) => Some(forms.swap_remove(i)),
        None => forms.into_iter().next(),
    }
}

/// Runs `--user-command`: `sh -c 'CMD "$1"' fapi-probe URL`, with
/// FAPI_PROBE_AUTHORIZATION_URL and FAPI_PROBE_REDIRECT_URI set; its last
/// line of stdout is the URL the browser came back to.
async fn run_command(cmd: &str, url: &str, redirect_uri: &str) -> Result<String, String> {
    let last = shell(
        "--user-command",
        format!("{cmd} \"$1\""),
        vec![url.to_owned()],
        vec![
            ("FAPI_PROBE_AUTHORIZATION_URL".to_owned(), url.to_owned()),
            (
                "FAPI_PROBE_REDIRECT_URI".to_owned(),
                redirect_uri.to_owned(),
            ),
        ],
        None,
    )
    .await?;
    if !is_redirect_uri(&last, redirect_uri) {
        return Err(format!(
            "--user-command's last line {last:?} is not the redirect URI {redirect_uri}"
        ));
    }
    Ok(last)
}

/// Runs `script` through `sh -c` (`args` as `$1`...; `env` set; in `cwd`
/// when given), at most 60 s; its last non-empty line of stdout. `what`
/// names it in errors.
pub async fn shell(
    what: &'static str,
    script: String,
    args: Vec<String>,
    env: Vec<(String, String)>,
    cwd: Option<std::path::PathBuf>,
) -> Result<String, String> {
    // std::process with a polling wait: tokio's process feature is not
    // built in this workspace.
    let run = move || -> Result<String, String> {
        let mut command = std::process::Command::new("sh");
        let _ = command.arg("-c").arg(&script).arg("fapi-probe").args(&args);
        for (k, v) in &env {
            let _ = command.env(k, v);
        }
        if let Some(d) = &cwd {
            let _ = command.current_dir(d);
        }
        let mut child = command
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::inherit())
            .spawn()
            .map_err(|e| format!("{what}: {e}"))?;
        let started = Instant::now();
        loop {
            match child.try_wait() {
                Ok(Some(_)) => break,
                Ok(None) if started.elapsed() > COMMAND_TIMEOUT => {
                    let _ = child.kill();
                    let _ = child.wait();
                    return Err(format!(
                        "{what} did not finish within {} s",
                        COMMAND_TIMEOUT.as_secs()
                    ));
                }
                Ok(None) => std::thread::sleep(Duration::from_millis(20)),
                Err(e) => return Err(format!("{what}: {e}")),
            }
        }
        let out = child
            .wait_with_output()
            .map_err(|e| format!("{what}: {e}"))?;
        if !out.status.success() {
            return Err(format!("{what} exited with {}", out.status));
        }
        let text = String::from_utf8_lossy(&out.stdout);
        Ok(text
            .lines()
            .rev()
            .find(|l| !l.trim().is_empty())
            .ok_or_else(|| format!("{what} printed nothing"))?
            .trim()
            .to_owned())
    };
    tokio::task::spawn_blocking(run)
        .await
        .map_err(|e| format!("{what}: {e}"))?
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_form_with_a_user_name_is_taken_and_its_fields_kept() {
        let html = r#"<form action="/search"><input name="q"></form>
<form method="post" action="/authorize/login"><input type="hidden" name="txn" value="a&amp;b">
<input type=text name=username required><input type="password" name="password">
<input type="checkbox" name="remember"><button type="submit" name="decision" value="approve">OK</button>
<button name="decision" value="deny">No</button></form>"#;
        let users = vec![("username".to_owned(), "alice".to_owned())];
        let f = pick_form(html, &users).unwrap();
        assert_eq!(f.method, "post");
        assert_eq!(f.action.as_deref(), Some("/authorize/login"));
        assert_eq!(
            f.fields,
            vec![
                ("txn".to_owned(), "a&b".to_owned()),
                ("username".to_owned(), String::new()),
                ("password".to_owned(), String::new()),
                ("decision".to_owned(), "approve".to_owned()),
            ]
        );
        let first = pick_form(html, &[]).unwrap();
        assert_eq!(first.action.as_deref(), Some("/search"));
        assert!(pick_form("<p>no form</p>", &users).is_none());
    }

    #[test]
    fn redirect_uris_compare_without_their_query() {
        assert!(is_redirect_uri(
            "https://c.example/cb?code=1",
            "https://c.example/cb"
        ));
        assert!(!is_redirect_uri(
            "https://c.example/cb2?code=1",
            "https://c.example/cb"
        ));
    }
}
