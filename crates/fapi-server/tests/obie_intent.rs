//! OB-INTENT: under obie an `openid` request names the intent the user
//! authorises (`openbanking_intent_id` in the ID token), so a pushed
//! request without one is refused at PAR (400 invalid_request), before
//! the user logs in, rather than at the token endpoint after consent.

mod common;

use common::{bank, client, http, pkj_client, send};
use fapi_core::authorize::UserAction;
use fapi_core::profile::Profile;
use fapi_server::dev_ca::DevCa;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn obie_openid_without_an_intent_is_refused_at_par() {
    let profile = Profile::OBIE;
    let ca = DevCa::generate().unwrap();
    let (keys, reg) = pkj_client(profile, "fintech-1", false);
    let (cert, key) = ca.client_certificate("CN=fintech-1,O=Fintech One").unwrap();
    let b = bank(profile, ca.clone(), vec![reg]).await;
    let http = http(&ca, Some((&cert, &key)));
    let c = client(profile, b.server.issuer(), &keys);
    let action = UserAction::new("You will now be taken to your bank.").unwrap();
    let (req, _) = c.par_request(action, "openid", None).unwrap();
    let r = send(&http, req).await;
    assert_eq!(r.status, 400, "{}", r.body);
    assert_eq!(r.json()["error"], "invalid_request", "{}", r.body);
    assert!(r.body.contains("OB-INTENT"), "{}", r.body);
    // Under fapi2 the same request passes: no intent there.
    let profile = Profile::FAPI2;
    let (keys, reg) = pkj_client(profile, "fintech-1", false);
    let b2 = bank(profile, ca.clone(), vec![reg]).await;
    let c = client(profile, b2.server.issuer(), &keys);
    let action = UserAction::new("You will now be taken to your bank.").unwrap();
    let (req, _) = c.par_request(action, "openid", None).unwrap();
    let r = send(&common::http(&ca, None), req).await;
    assert_eq!(r.status, 201, "{}", r.body);
    b.server.shutdown().await;
    b2.server.shutdown().await;
}
