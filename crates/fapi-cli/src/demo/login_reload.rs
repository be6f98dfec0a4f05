//! The login page shown again for one pushed request (a reload, a second
//! tab): FAPI 2.0 Security Profile §5.3.2.2 (note 3) has the one-time use
//! of a `request_uri` enforced where the decision is made, so the second
//! visit must show the login page (a step); once the first tab decided,
//! a decision in the second tab must be refused (A3a: whoever read the
//! authorization request cannot get a second code from it).

use super::flows::{expect, get, outcome, post_form, why};
use super::party::Party;
use super::report::Report;
use crate::https::hidden_field;

/// The consent form of a second tab: its transaction and CSRF token.
pub struct SecondTab {
    txn: String,
    csrf: String,
}

/// Opens `request_uri` in a second tab before the decision: the login
/// page again (a step), then the user signs in there too.
pub async fn second_tab(
    r: &mut Report,
    flow: &str,
    p: &Party,
    request_uri: &str,
) -> Option<SecondTab> {
    let seen = async {
        let page = p
            .http
            .send(get(&p.client.authorization_url(request_uri)).map_err(|e| why(&e))?)
            .await
            .map_err(|e| why(&e))?;
        expect(&page, 200)?;
        let field = |a: &crate::https::Answer, name: &str| {
            hidden_field(&a.body, name).ok_or(format!("no {name}"))
        };
        let login = post_form(
            &p.url("/authorize/login"),
            &[
                ("username", "alice"),
                ("password", "alice-password"),
                ("txn", &field(&page, "txn")?),
                ("csrf", &field(&page, "csrf")?),
            ],
        )
        .map_err(|e| why(&e))?;
        let consent = p.http.send(login).await.map_err(|e| why(&e))?;
        expect(&consent, 200)?;
        Ok(SecondTab {
            txn: field(&consent, "txn")?,
            csrf: field(&consent, "csrf")?,
        })
    }
    .await;
    r.step(
        flow,
        "the same request URI again before the decision (a reload, a second tab): the login page",
        &["F2-PAR"],
        seen,
    )
}

/// The second tab approves after the first tab's decision: refused, the
/// request URI gave its one code.
pub async fn decide_in_second_tab(r: &mut Report, flow: &str, p: &Party, tab: Option<SecondTab>) {
    let Some(tab) = tab else {
        return;
    };
    let seen = match post_form(
        &p.url("/authorize/consent"),
        &[
            ("decision", "approve"),
            ("txn", &tab.txn),
            ("csrf", &tab.csrf),
        ],
    ) {
        Ok(req) => match p.http.send(req).await {
            Ok(a) => outcome(&a, "invalid_request_uri"),
            Err(e) => Ok(why(&e)),
        },
        Err(e) => Ok(why(&e)),
    };
    r.attack(
        flow,
        "second-decision-on-one-request-uri",
        "A3a",
        &["F2-PAR", "F2-CODE-ONCE"],
        "invalid_request_uri",
        seen,
    );
}
