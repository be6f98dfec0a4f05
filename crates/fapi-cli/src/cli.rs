//! The command line, as clap parses it.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use fapi_core::Alg;
use fapi_core::profile::Profile;

/// fapi: keys, tokens, DPoP proofs and audits for financial-grade OAuth
/// (FAPI 2.0 and the UK, Brazilian, Australian and Berlin Group sets).
///
/// Exit codes: 0 done, 1 refused or a check failed, 2 usage error, 3 I/O
/// or environment error. Errors are one line on stderr, `error: <name>
/// (fapi code <n>): <what>: <values>` for a refusal (`error: <what>:
/// <why>` otherwise), or a JSON object with --json. Every command takes
/// --json; result values are lower case (`pass`, `fail`).
///
/// Inputs, one scheme for every command: a document (JWK Set, JWK, claims,
/// metadata, body) is a FILE path, `-` for stdin, and stdin when left out;
/// inline JSON goes in the `--*-json` flag beside it (`--jwks-json '{…}'`),
/// never guessed. A token or proof is the value itself, `-` or nothing
/// for stdin. A key is a FILE path or a `pkcs11:` URI.
#[derive(Debug, Parser)]
#[command(name = "fapi", version, propagate_version = true)]
pub struct Cli {
    /// The command.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Generate a signing key: a PKCS#8 PEM file (mode 0600), or a key
    /// inside an HSM through PKCS#11.
    Keygen(KeygenArgs),
    /// Print the public JWK Set of one or more keys.
    Jwks(JwksArgs),
    /// Sign JSON claims as a compact JWS.
    ///
    /// The claims are a JSON object (`--claims FILE|-`, `--claims-json`, or
    /// stdin when neither is given and no claim flag is); the claim flags
    /// set members over it. Times are seconds since 1970, `now`, or `+5m`,
    /// `-30s`, `+1h`, `+2d` from now. What `fapi verify` would refuse now (no
    /// `exp`, an `exp` past or more than a day ahead, an `nbf` still
    /// ahead; with `iss` and `aud` in the claims the full JWT rules) is not
    /// signed unless --unchecked.
    Sign(SignArgs),
    /// Verify a compact JWS against a JWK Set and print its claims.
    Verify(VerifyArgs),
    /// Decode a JWS, JWT or JWE header (and a JWS payload) WITHOUT
    /// verifying anything.
    ///
    /// Every output is labelled UNVERIFIED (`--json`: `"verified": false`):
    /// nothing of the signature, issuer, audience or times is checked. Use
    /// `fapi verify` to check a token.
    Inspect(InspectArgs),
    /// Create or verify DPoP proofs (RFC 9449).
    ///
    /// `--htm` is the method as sent, upper case (RFC 9110 §9.1: methods
    /// are case-sensitive, `post` is refused); `--htu` an absolute http(s)
    /// URL (a URL without a scheme is refused).
    #[command(subcommand)]
    Dpop(DpopCommand),
    /// Sign or verify HTTP messages (RFC 9421 with RFC 9530
    /// Content-Digest) under FAPI 2.0 HTTP Signatures.
    #[command(subcommand, name = "http-sig")]
    HttpSig(HttpSigCommand),
    /// Make a PKCE code verifier and its S256 challenge (RFC 7636).
    Pkce(PkceArgs),
    /// The RFC 7638 thumbprint of a JWK.
    Thumbprint(ThumbprintArgs),
    /// Audit an authorization server's RFC 8414 metadata against the
    /// requirement sets.
    Audit(AuditArgs),
    /// Run the reference bank (FAPI 2.0 authorization server and UK Open
    /// Banking style resource server) over HTTPS until SIGINT or SIGTERM.
    Serve(fapi_server::ServeArgs),
    /// Run the paper's two flows (account information, payment) and the
    /// attacks against the reference bank, in process, over HTTPS.
    Demo(DemoArgs),
    /// Check a live authorization server against a profile: its metadata
    /// audited, the happy flow run, then the negative modules, each PASS,
    /// FAIL or SKIP.
    ///
    /// Exit status: 0 when no module FAILs (SKIPs allowed), 1 when one
    /// FAILs, 2 on a usage error (bad flag, unreadable client file,
    /// unknown profile, an issuer whose metadata cannot be fetched or does
    /// not name it). Requests go only to the issuer's origin and the
    /// endpoints its metadata names; redirects are followed only there, at
    /// most 10 per interaction.
    Probe(ProbeArgs),
    /// Explain a requirement ID: its rule, its source set, where it is
    /// enforced and tested (`docs/requirements.md`).
    Explain(ExplainArgs),
}

impl Command {
    /// Whether errors are reported as JSON.
    #[must_use]
    pub fn json(&self) -> bool {
        match self {
            Self::Keygen(a) => a.output.json,
            Self::Jwks(a) => a.output.json,
            Self::Sign(a) => a.output.json,
            Self::Verify(a) => a.output.json,
            Self::Inspect(a) => a.output.json,
            Self::Dpop(DpopCommand::Create(a)) => a.output.json,
            Self::Dpop(DpopCommand::Verify(a)) => a.output.json,
            Self::HttpSig(HttpSigCommand::SignRequest(a)) => a.output.json,
            Self::HttpSig(HttpSigCommand::SignResponse(a)) => a.output.json,
            Self::HttpSig(HttpSigCommand::VerifyRequest(a)) => a.output.json,
            Self::HttpSig(HttpSigCommand::VerifyResponse(a)) => a.output.json,
            Self::Pkce(a) => a.output.json,
            Self::Thumbprint(a) => a.output.json,
            Self::Audit(a) => a.output.json,
            Self::Serve(a) => a.json,
            Self::Demo(a) => a.output.json,
            Self::Probe(a) => a.output.json,
            Self::Explain(a) => a.output.json,
        }
    }
}

/// Output options every command has.
#[derive(Debug, Args)]
pub struct OutputArgs {
    /// Results and errors as JSON.
    #[arg(long)]
    pub json: bool,
}

/// A signature algorithm of F2-ALG.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
#[value(rename_all = "verbatim")]
pub enum AlgName {
    /// ECDSA P-256 with SHA-256.
    ES256,
    /// Ed25519.
    EdDSA,
    /// RSASSA-PSS with SHA-256, 2048-bit keys.
    PS256,
}

impl AlgName {
    /// The core's algorithm.
    #[must_use]
    pub const fn alg(self) -> Alg {
        match self {
            Self::ES256 => Alg::Es256,
            Self::EdDSA => Alg::EdDsa,
            Self::PS256 => Alg::Ps256,
        }
    }
}

/// A requirement set.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ProfileName {
    /// FAPI 2.0 Security Profile.
    Fapi2,
    /// FAPI 2.0 with the stronger Australian rules (the paper's conclusion).
    #[value(name = "fapi2-plus")]
    Fapi2Plus,
    /// UK Open Banking.
    Obie,
    /// Open Finance Brasil.
    Ofb,
    /// Australia's Consumer Data Right.
    Cdr,
    /// Berlin Group openFinance.
    Berlin,
    /// FAPI 2.0 with FAPI 2.0 Message Signing: signed requests, JARM,
    /// signed introspection.
    #[value(name = "fapi2-ms")]
    Fapi2Ms,
}

impl ProfileName {
    /// The core's profile.
    #[must_use]
    pub const fn profile(self) -> Profile {
        match self {
            Self::Fapi2 => Profile::FAPI2,
            Self::Fapi2Plus => Profile::FAPI2_PLUS,
            Self::Obie => Profile::OBIE,
            Self::Ofb => Profile::OFB,
            Self::Cdr => Profile::CDR,
            Self::Berlin => Profile::BERLIN,
            Self::Fapi2Ms => Profile::FAPI2_MS,
        }
    }
}

/// `fapi keygen`.
#[derive(Debug, Args)]
pub struct KeygenArgs {
    /// The algorithm.
    #[arg(long, value_enum, ignore_case = true)]
    pub alg: AlgName,
    /// Write the PKCS#8 PEM here (created with mode 0600, never
    /// overwritten) instead of stdout.
    #[arg(long, conflicts_with = "pkcs11")]
    pub out: Option<PathBuf>,
    /// Generate the key inside the HSM that this PKCS#11 URI names
    /// (`pkcs11:token=T;object=LABEL?module-path=...&pin-source=file:...`);
    /// the key never leaves it. Prints the key's public JWK.
    #[arg(long, value_name = "URI")]
    pub pkcs11: Option<String>,
    /// Output options.
    #[command(flatten)]
    pub output: OutputArgs,
}

/// `fapi jwks`.
#[derive(Debug, Args)]
pub struct JwksArgs {
    /// Key configurations: PEM, DER or private JWK file paths, or
    /// `pkcs11:` URIs. The first is listed first.
    #[arg(required = true, value_name = "KEY")]
    pub keys: Vec<String>,
    /// Output options.
    #[command(flatten)]
    pub output: OutputArgs,
}

/// `fapi sign`.
///
/// The claims are a JSON object (`--claims FILE|-`, `--claims-json`, or
/// stdin when neither is given and no claim flag is), and the claim flags
/// set members over it. Times are seconds since 1970, `now`, or `+5m`,
/// `-30s`, `+1h`, `+2d` from now. What `fapi verify` would refuse now (no
/// `exp`, an `exp` past or more than a day ahead, an `nbf` still ahead) is
/// not signed unless --unchecked.
#[derive(Debug, Args)]
pub struct SignArgs {
    /// The signing key: a key file path or a `pkcs11:` URI.
    #[arg(long)]
    pub key: String,
    /// The `typ` header (`at+jwt`, `JWT`, ...).
    #[arg(long)]
    pub typ: Option<String>,
    /// The claims: a file holding a JSON object, or `-` for stdin.
    #[arg(long, value_name = "FILE|-", conflicts_with = "claims_json")]
    pub claims: Option<String>,
    /// The claims inline: a JSON object.
    #[arg(long, value_name = "JSON")]
    pub claims_json: Option<String>,
    /// `iss`.
    #[arg(long)]
    pub iss: Option<String>,
    /// `sub`.
    #[arg(long)]
    pub sub: Option<String>,
    /// `aud`; repeat for an array.
    #[arg(long)]
    pub aud: Vec<String>,
    /// `exp`: `+5m`, `now`, or seconds since 1970.
    #[arg(long, value_name = "TIME", allow_hyphen_values = true)]
    pub exp: Option<String>,
    /// `nbf`: `now`, `+1m`, `-30s`, or seconds since 1970.
    #[arg(long, value_name = "TIME", allow_hyphen_values = true)]
    pub nbf: Option<String>,
    /// `iat`: `now`, or a time as for --exp.
    #[arg(long, value_name = "TIME", allow_hyphen_values = true)]
    pub iat: Option<String>,
    /// Any claim, `name=value`: the value as JSON when it parses
    /// (`n=3`, `ok=true`, `o={"a":1}`), else as a string; repeatable.
    #[arg(long = "claim", value_name = "NAME=VALUE")]
    pub claim: Vec<String>,
    /// Sign even what `fapi verify` would refuse (tests of verifiers).
    #[arg(long)]
    pub unchecked: bool,
    /// Output options (`--json`: `{"token": ...}`).
    #[command(flatten)]
    pub output: OutputArgs,
}

/// `fapi verify`.
#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// The signer's JWK Set: a file, or an https URL (a `jwks_uri`).
    #[arg(
        long,
        value_name = "FILE|URL",
        required_unless_present = "jwks_json",
        conflicts_with = "jwks_json"
    )]
    pub jwks: Option<String>,
    /// The signer's JWK Set inline (JSON).
    #[arg(long, value_name = "JSON")]
    pub jwks_json: Option<String>,
    /// The compact JWS itself; `-` or nothing reads it from stdin.
    #[arg(value_name = "TOKEN|-")]
    pub token: Option<String>,
    /// The issuer `iss` must name. With --aud: `exp`, `nbf`, `iat` and
    /// the issuer and audience are checked as RFC 8725 says.
    #[arg(long, requires = "aud")]
    pub iss: Option<String>,
    /// The audience `aud` must name.
    #[arg(long, requires = "iss")]
    pub aud: Option<String>,
    /// The `typ` the header must have (default with --iss: `JWT` or none).
    #[arg(long)]
    pub typ: Option<String>,
    /// A CA certificate (PEM) to trust for an https JWKS URL.
    #[arg(long, value_name = "FILE")]
    pub ca: Option<PathBuf>,
    /// Output options.
    #[command(flatten)]
    pub output: OutputArgs,
}

/// `fapi inspect`.
#[derive(Debug, Args)]
pub struct InspectArgs {
    /// The compact JWS, JWT or JWE itself; `-` or nothing reads stdin.
    #[arg(value_name = "TOKEN|-")]
    pub token: Option<String>,
    /// Output options (`--json`: `{"verified": false, ...}`).
    #[command(flatten)]
    pub output: OutputArgs,
}

/// `fapi explain`.
#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// The requirement ID (`F2-PAR`, `CDR-AT-TTL`, ...).
    #[arg(value_name = "ID", required_unless_present = "list")]
    pub id: Option<String>,
    /// List every ID and its rule.
    #[arg(long, conflicts_with = "id")]
    pub list: bool,
    /// Output options.
    #[command(flatten)]
    pub output: OutputArgs,
}

/// `fapi dpop`.
#[derive(Debug, Subcommand)]
pub enum DpopCommand {
    /// Create a DPoP proof for one request.
    Create(DpopCreateArgs),
    /// Verify a DPoP proof for one request and print its key thumbprint.
    Verify(DpopVerifyArgs),
}

/// `fapi dpop create`.
#[derive(Debug, Args)]
pub struct DpopCreateArgs {
    /// The DPoP key: a key file path or a `pkcs11:` URI.
    #[arg(long)]
    pub key: String,
    /// The request method, upper case as sent (`POST`; RFC 9110 §9.1:
    /// methods are case-sensitive).
    #[arg(long)]
    pub htm: String,
    /// The absolute request URL, `https://host/path` (query and fragment
    /// are left out).
    #[arg(long)]
    pub htu: String,
    /// The access token the request presents: its hash goes in `ath`.
    #[arg(long, value_name = "TOKEN")]
    pub ath: Option<String>,
    /// The server's `DPoP-Nonce`.
    #[arg(long)]
    pub nonce: Option<String>,
    /// Output options.
    #[command(flatten)]
    pub output: OutputArgs,
}

/// `fapi dpop verify`.
#[derive(Debug, Args)]
pub struct DpopVerifyArgs {
    /// The request method.
    #[arg(long)]
    pub htm: String,
    /// The request URL as the server sees it.
    #[arg(long)]
    pub htu: String,
    /// The proof itself; `-` or nothing reads it from stdin.
    #[arg(value_name = "PROOF|-")]
    pub proof: Option<String>,
    /// The access token the request presents (`ath` is then required).
    #[arg(long, value_name = "TOKEN")]
    pub access_token: Option<String>,
    /// The requirement set whose algorithms are accepted.
    #[arg(long, value_enum, default_value = "fapi2")]
    pub profile: ProfileName,
    /// Output options.
    #[command(flatten)]
    pub output: OutputArgs,
}

/// `fapi http-sig`.
#[derive(Debug, Subcommand)]
pub enum HttpSigCommand {
    /// Sign a resource request: prints the header lines to add
    /// (`Content-Digest` with a body, `Signature-Input`, `Signature`).
    SignRequest(HttpSigSignRequestArgs),
    /// Sign a resource response, covering the request it answers
    /// (`;req`): prints the header lines to add.
    SignResponse(HttpSigSignResponseArgs),
    /// Verify a resource request's signature and print its label, keyid,
    /// algorithm and `created`.
    VerifyRequest(HttpSigVerifyRequestArgs),
    /// Verify a resource response's signature against the request it
    /// answers and print its label, keyid, algorithm and `created`.
    VerifyResponse(HttpSigVerifyResponseArgs),
}

/// The clock of a signature: `created` when signing, the verifier's now.
#[derive(Debug, Args)]
pub struct ClockArgs {
    /// The time, in seconds since 1970 (known-answer checks: the RFC 9421
    /// examples have `created=1618884473`); the system clock by default.
    #[arg(long, value_name = "SECONDS")]
    pub now: Option<u64>,
}

/// A request: its method, target URI and header fields.
#[derive(Debug, Args)]
pub struct HttpRequestArgs {
    /// The request method (`GET`, `POST`, ...).
    #[arg(long)]
    pub method: String,
    /// The absolute target URI (`https://host/path?query`), as sent.
    #[arg(long)]
    pub uri: String,
    /// A header field line, `Name: value`; repeatable, in message order.
    #[arg(long = "header", short = 'H', value_name = "NAME: VALUE")]
    pub headers: Vec<String>,
}

/// The request a response answers, for its `;req` components.
#[derive(Debug, Args)]
pub struct HttpLinkedRequestArgs {
    /// The request's method.
    #[arg(long)]
    pub request_method: String,
    /// The request's absolute target URI.
    #[arg(long)]
    pub request_uri: String,
    /// A header field line of the request, `Name: value` (its
    /// `Signature-Input` and `Signature` included); repeatable.
    #[arg(long = "request-header", value_name = "NAME: VALUE")]
    pub request_headers: Vec<String>,
}

/// `fapi http-sig sign-request`.
#[derive(Debug, Args)]
pub struct HttpSigSignRequestArgs {
    /// The signing key (ES256 or EdDSA): a key file path or a `pkcs11:` URI.
    #[arg(long)]
    pub key: String,
    /// The request.
    #[command(flatten)]
    pub request: HttpRequestArgs,
    /// The request content: a file, or `-` for stdin. Its `Content-Digest`
    /// (sha-256) is added unless a `Content-Digest` header is given, which
    /// must then match it.
    #[arg(long, value_name = "FILE|-")]
    pub body: Option<String>,
    /// The signature's label.
    #[arg(long, default_value = "sig1")]
    pub label: String,
    /// The clock.
    #[command(flatten)]
    pub clock: ClockArgs,
    /// Output options.
    #[command(flatten)]
    pub output: OutputArgs,
}

/// `fapi http-sig sign-response`.
#[derive(Debug, Args)]
pub struct HttpSigSignResponseArgs {
    /// The signing key (ES256 or EdDSA): a key file path or a `pkcs11:` URI.
    #[arg(long)]
    pub key: String,
    /// The response status code.
    #[arg(long, value_parser = clap::value_parser!(u16).range(100..=999))]
    pub status: u16,
    /// A header field line of the response, `Name: value`; repeatable.
    #[arg(long = "header", short = 'H', value_name = "NAME: VALUE")]
    pub headers: Vec<String>,
    /// The response content: a file, or `-` for stdin.
    #[arg(long, value_name = "FILE|-")]
    pub body: Option<String>,
    /// The request it answers.
    #[command(flatten)]
    pub request: HttpLinkedRequestArgs,
    /// The signature's label.
    #[arg(long, default_value = "sig1")]
    pub label: String,
    /// The clock.
    #[command(flatten)]
    pub clock: ClockArgs,
    /// Output options.
    #[command(flatten)]
    pub output: OutputArgs,
}

/// How a signature is verified, and against which keys.
#[derive(Debug, Args)]
pub struct HttpSigVerifyArgs {
    /// The signer's JWK Set: a file, `-` for stdin, or an https URL.
    #[arg(
        long,
        value_name = "FILE|URL|-",
        required_unless_present = "jwks_json",
        conflicts_with = "jwks_json"
    )]
    pub jwks: Option<String>,
    /// The signer's JWK Set inline (JSON).
    #[arg(long, value_name = "JSON")]
    pub jwks_json: Option<String>,
    /// A CA certificate (PEM) to trust for an https JWKS URL.
    #[arg(long, value_name = "FILE")]
    pub ca: Option<PathBuf>,
    /// The requirement set whose algorithms are accepted (ES256:
    /// `ecdsa-p256-sha256`, EdDSA: `ed25519`, PS256: `rsa-pss-sha512`).
    #[arg(long, value_enum, default_value = "fapi2")]
    pub profile: ProfileName,
    /// Verify the signature of this label by RFC 9421 §3.2 alone, without
    /// the FAPI 2.0 HTTP Signatures profile's tag and covered components
    /// (the RFC's examples, signers outside the profile). `created` is
    /// still required and at most 60 s old, the key still the JWK Set's.
    #[arg(long, value_name = "LABEL")]
    pub rfc9421_label: Option<String>,
    /// The clock.
    #[command(flatten)]
    pub clock: ClockArgs,
}

/// `fapi http-sig verify-request`.
#[derive(Debug, Args)]
pub struct HttpSigVerifyRequestArgs {
    /// Keys and rules.
    #[command(flatten)]
    pub verify: HttpSigVerifyArgs,
    /// The request, its `Signature-Input` and `Signature` among its headers.
    #[command(flatten)]
    pub request: HttpRequestArgs,
    /// The request content: a file, or `-` for stdin.
    #[arg(long, value_name = "FILE|-")]
    pub body: Option<String>,
    /// Output options.
    #[command(flatten)]
    pub output: OutputArgs,
}

/// `fapi http-sig verify-response`.
#[derive(Debug, Args)]
pub struct HttpSigVerifyResponseArgs {
    /// Keys and rules.
    #[command(flatten)]
    pub verify: HttpSigVerifyArgs,
    /// The response status code.
    #[arg(long, value_parser = clap::value_parser!(u16).range(100..=999))]
    pub status: u16,
    /// A header field line of the response, `Name: value`; repeatable.
    #[arg(long = "header", short = 'H', value_name = "NAME: VALUE")]
    pub headers: Vec<String>,
    /// The response content: a file, or `-` for stdin.
    #[arg(long, value_name = "FILE|-")]
    pub body: Option<String>,
    /// The request it answers, as the client sent it.
    #[command(flatten)]
    pub request: HttpLinkedRequestArgs,
    /// Output options.
    #[command(flatten)]
    pub output: OutputArgs,
}

/// `fapi pkce`.
#[derive(Debug, Args)]
pub struct PkceArgs {
    /// Compute the challenge of this verifier instead of a fresh one.
    #[arg(long)]
    pub verifier: Option<String>,
    /// Output options.
    #[command(flatten)]
    pub output: OutputArgs,
}

/// `fapi thumbprint`.
#[derive(Debug, Args)]
pub struct ThumbprintArgs {
    /// A file holding the JWK (public or private); `-` or nothing reads
    /// stdin.
    #[arg(value_name = "FILE|-", conflicts_with = "jwk_json")]
    pub jwk: Option<String>,
    /// The JWK inline (JSON).
    #[arg(long, value_name = "JSON")]
    pub jwk_json: Option<String>,
    /// Output options.
    #[command(flatten)]
    pub output: OutputArgs,
}

/// `fapi audit`.
#[derive(Debug, Args)]
pub struct AuditArgs {
    /// The metadata: a JSON file, `-` or nothing for stdin, or an https
    /// URL (the issuer, or its `/.well-known/oauth-authorization-server`).
    #[arg(value_name = "FILE|URL|-", conflicts_with = "metadata_json")]
    pub source: Option<String>,
    /// The metadata inline (JSON).
    #[arg(long, value_name = "JSON")]
    pub metadata_json: Option<String>,
    /// Audit against this requirement set only.
    #[arg(long, value_enum, conflicts_with = "all")]
    pub profile: Option<ProfileName>,
    /// Audit against every set, a column each (the default).
    #[arg(long)]
    pub all: bool,
    /// A CA certificate (PEM) to trust for an https URL (a development CA).
    #[arg(long, value_name = "FILE")]
    pub ca: Option<PathBuf>,
    /// What the server declares beyond its metadata.
    #[command(flatten)]
    pub facts: FactArgs,
    /// Output options.
    #[command(flatten)]
    pub output: OutputArgs,
}

/// What a server declares beyond its metadata. A requirement that depends
/// on a fact not given is reported as not shown by the metadata, never as
/// met.
#[derive(Debug, Default, Args)]
pub struct FactArgs {
    /// The access token lifetime (s).
    #[arg(long, value_name = "SECONDS")]
    pub access_token_ttl: Option<u64>,
    /// The authorization code lifetime (s).
    #[arg(long, value_name = "SECONDS")]
    pub code_ttl: Option<u64>,
    /// The PAR `request_uri` lifetime (s).
    #[arg(long, value_name = "SECONDS")]
    pub par_ttl: Option<u64>,
    /// The longest request object lifetime accepted (s).
    #[arg(long, value_name = "SECONDS")]
    pub request_object_ttl: Option<u64>,
    /// Whether refresh tokens are rotated.
    #[arg(long, value_name = "BOOL")]
    pub refresh_rotation: Option<bool>,
    /// Whether a code is redeemed at most once.
    #[arg(long, value_name = "BOOL")]
    pub codes_single_use: Option<bool>,
    /// Whether only https redirect URIs are registered.
    #[arg(long, value_name = "BOOL")]
    pub https_redirects_only: Option<bool>,
    /// A TLS cipher suite the server supports (IANA name); repeatable.
    #[arg(long = "tls-suite", value_name = "NAME")]
    pub tls_suites: Vec<String>,
    /// The oldest TLS version accepted.
    #[arg(long, value_enum)]
    pub tls_min: Option<TlsMin>,
    /// A conformance certification held (`fapi1-advanced-final`); repeatable.
    #[arg(long = "certified", value_name = "NAME")]
    pub certified: Vec<String>,
    /// Whether clients sign their resource request messages.
    #[arg(long, value_name = "BOOL")]
    pub signed_messages: Option<bool>,
}

/// The oldest TLS version a server accepts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum TlsMin {
    /// TLS 1.1 or older.
    Older,
    /// TLS 1.2.
    #[value(name = "1.2")]
    Tls12,
    /// TLS 1.3.
    #[value(name = "1.3")]
    Tls13,
}

/// `fapi demo`.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Run this requirement set only.
    #[arg(long, value_enum, conflicts_with = "all")]
    pub profile: Option<ProfileName>,
    /// Run every requirement set (the default).
    #[arg(long)]
    pub all: bool,
    /// Output options (`--json`: one JSON object a line).
    #[command(flatten)]
    pub output: OutputArgs,
}

/// `fapi probe`.
#[derive(Debug, Args)]
pub struct ProbeArgs {
    /// The issuer. Its metadata is read from
    /// `ISSUER/.well-known/oauth-authorization-server`, else
    /// `ISSUER/.well-known/openid-configuration`; its `issuer` must equal
    /// ISSUER_URL exactly.
    #[arg(value_name = "ISSUER_URL", required_unless_present = "list")]
    pub issuer: Option<String>,
    /// The requirement set the server is checked against.
    #[arg(long, value_enum, required_unless_present = "list")]
    pub profile: Option<ProfileName>,
    /// The registered client the probe acts as (a TOML file: client_id,
    /// key, auth, redirect_uri, scope, tls_cert, tls_key,
    /// consent_command, `[par_params]`; crates/fapi-cli/README.md). A
    /// second --client is a second registered client, for the binding
    /// modules (SKIP without it).
    #[arg(long = "client", value_name = "FILE", required_unless_present = "list")]
    pub clients: Vec<PathBuf>,
    /// Trust anchors for the server's TLS (PEM), instead of the system's
    /// roots.
    #[arg(long, value_name = "PEM_FILE")]
    pub ca: Option<PathBuf>,
    /// A login or consent form field to set (`username=alice`); repeatable.
    /// The probe GETs the authorization URL, follows redirects within the
    /// issuer's origins, and submits each page's form with these values
    /// until the redirect to the client's redirect_uri.
    #[arg(long = "user", value_name = "NAME=VALUE")]
    pub user: Vec<String>,
    /// Instead of the forms, run `CMD AUTHORIZATION_URL` (`sh -c`, the URL
    /// as `$1` and in FAPI_PROBE_AUTHORIZATION_URL, FAPI_PROBE_REDIRECT_URI
    /// set); its last line of stdout is the URL the browser was sent back
    /// to. At most 60 s.
    #[arg(long, value_name = "CMD", conflicts_with = "user")]
    pub user_command: Option<String>,
    /// A protected resource (GET) on which tokens are used; the
    /// resource-server modules are SKIP without it.
    #[arg(long, value_name = "URL")]
    pub resource: Option<String>,
    /// Run only this module (the happy flow it needs still runs);
    /// repeatable.
    #[arg(long, value_name = "MODULE")]
    pub only: Vec<String>,
    /// Print the modules (name, requirement IDs, clause, expected answer)
    /// and exit.
    #[arg(long)]
    pub list: bool,
    /// Output options (`--json`: one JSON document).
    #[command(flatten)]
    pub output: OutputArgs,
}
