//! Attacks on `check --aws`: changes that could pass silently what AWS will do, wrong
//! call counts, answers that never end, and secrets in messages.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use serde_json::json;

use crate::aws::{
    ACCESS_KEY, Moto, ORDERS, SECRET_KEY, SESSION_TOKEN, Trap, Wrapper, check_aws, codes, isolated,
    repo,
};
use crate::common::{Repo, Run};

const LEGACY: &str = "managementPolicies: Observe\ntables:\n  - name: Legacy\n    hashKey: Id\n    attributes: [{name: Id, type: 'S'}]\n";

/// The attack: an Observe release renames its table in place (same keys: a replacement,
/// not an addition), or flips its `useIdpPrefix`, or moves it to another region. What
/// should happen: the table it now observes is looked up, and DL121 says it does not
/// exist; no silent pass.
#[test]
#[ignore = "needs moto[server] (`$DYNALINT_MOTO_PYTHON`); .ci/run installs it and runs the ignored tests"]
fn attack_an_observe_table_renamed_prefixed_or_moved_is_looked_up() {
    let moto = Moto::start();
    moto.seed(json!({"tables": [{"name": "shop-dev-Legacy", "hash": "Id"}]}));
    for head in [
        LEGACY.replace("name: Legacy", "name: Legacy2"),
        LEGACY.replace("hashKey: Id", "useIdpPrefix: true\n    hashKey: Id"),
        LEGACY.replace("hashKey: Id", "region: us-west-2\n    hashKey: Id"),
    ] {
        let repo = repo(LEGACY);
        repo.values("shop-dev", &head);
        let (run, _) = check_aws(&repo, &moto.url, &["--base", "HEAD", "--format", "json"]);
        assert!(
            codes(&run).iter().any(|code| code.ends_with("DL121")),
            "{head}\n{}\n{}",
            run.stdout,
            run.stderr
        );
        assert!(run.stderr.contains("1 DescribeTable"), "{}", run.stderr);
    }
}

/// The attack: a table under Control renamed in place, the new name's table existing in
/// AWS unmanaged. What should happen: DL120 on the new name (one DescribeTable, one
/// ListTagsOfResource).
#[test]
#[ignore = "needs moto[server] (`$DYNALINT_MOTO_PYTHON`); .ci/run installs it and runs the ignored tests"]
fn attack_a_renamed_table_whose_new_name_exists_unmanaged() {
    let moto = Moto::start();
    moto.seed(json!({"roles": [{"name": "api-shop-dev"}], "tables": [{"name": "shop-dev-Invoices", "hash": "Id"}]}));
    let repo = repo(ORDERS);
    repo.values("shop-dev", &ORDERS.replace("Orders", "Invoices"));
    let (run, _) = check_aws(&repo, &moto.url, &["--base", "HEAD", "--format", "json"]);
    assert!(
        codes(&run).iter().any(|code| code.ends_with("DL120")),
        "{}\n{}",
        run.stdout,
        run.stderr
    );
    assert!(
        run.stderr
            .contains("2 calls (1 DescribeTable, 1 ListTagsOfResource)"),
        "{}",
        run.stderr
    );
}

/// The attack: the change renames values.yaml to values.yml, nothing else. What should
/// happen: the same release, nothing new granted or created: nothing is asked.
#[test]
#[ignore = "needs moto[server] (`$DYNALINT_MOTO_PYTHON`); .ci/run installs it and runs the ignored tests"]
fn attack_values_yaml_renamed_to_yml_asks_nothing() {
    let moto = Moto::start();
    let repo = repo(ORDERS);
    let path = Repo::values_path("shop-dev");
    repo.remove(&path);
    repo.write(&path.replace("values.yaml", "values.yml"), ORDERS);
    let (run, _) = check_aws(&repo, &moto.url, &["--base", "HEAD", "--format", "json"]);
    assert!(
        run.stderr.contains("0 calls (nothing to ask)"),
        "{}\n{}",
        run.stdout,
        run.stderr
    );
}

/// The attack: IAM answers ListAttachedRolePolicies truncated, with the same marker,
/// forever. What should happen: the check stops within seconds (exit 2, one line),
/// not after the whole run's timeout.
#[test]
#[ignore = "needs moto[server] (`$DYNALINT_MOTO_PYTHON`); .ci/run installs it and runs the ignored tests"]
fn attack_a_marker_that_never_ends() {
    let moto = Moto::start();
    moto.seed(json!({"roles": [{"name": "api-shop-dev"}]}));
    let looping = Trap {
        matching: "ListAttachedRolePolicies",
        times: usize::MAX,
        status: 200,
        body: "<ListAttachedRolePoliciesResponse><ListAttachedRolePoliciesResult><AttachedPolicies><member><PolicyName>p</PolicyName><PolicyArn>arn:aws:iam::123456789012:policy/p</PolicyArn></member></AttachedPolicies><IsTruncated>true</IsTruncated><Marker>same</Marker></ListAttachedRolePoliciesResult><ResponseMetadata><RequestId>x</RequestId></ResponseMetadata></ListAttachedRolePoliciesResponse>".to_string(),
    };
    let wrapper = Wrapper::start(&moto.url, vec![looping]);
    let repo = repo("tables: []\n");
    repo.values("shop-dev", ORDERS);
    let (run, took) = check_aws(&repo, &wrapper.url, &["--base", "HEAD", "--format", "json"]);
    assert_eq!(run.code, 2, "{}\n{}", run.stdout, run.stderr);
    assert!(
        took < Duration::from_secs(15),
        "took {took:?}: {}",
        run.stderr
    );
    assert!(
        run.stderr.contains("ListAttachedRolePolicies"),
        "{}",
        run.stderr
    );
    assert!(wrapper.seen.load(Ordering::SeqCst) < 100);
}

/// The attack: DynamoDB answers ListTagsOfResource with the same NextToken forever.
/// What should happen: exit 2 within seconds, naming the call.
#[test]
#[ignore = "needs moto[server] (`$DYNALINT_MOTO_PYTHON`); .ci/run installs it and runs the ignored tests"]
fn attack_a_next_token_that_never_ends() {
    let moto = Moto::start();
    moto.seed(json!({"tables": [{"name": "shop-dev-Orders", "hash": "Id"}]}));
    let looping = Trap {
        matching: "ListTagsOfResource",
        times: usize::MAX,
        status: 200,
        body: r#"{"Tags":[{"Key":"a","Value":"b"}],"NextToken":"same"}"#.to_string(),
    };
    let wrapper = Wrapper::start(&moto.url, vec![looping]);
    let repo = repo("tables: []\n");
    repo.values(
        "shop-dev",
        &ORDERS.replace("    serviceAccountReadRoles: [\"api-shop-dev\"]\n", ""),
    );
    let (run, took) = check_aws(&repo, &wrapper.url, &["--base", "HEAD", "--format", "json"]);
    assert_eq!(run.code, 2, "{}\n{}", run.stdout, run.stderr);
    assert!(
        took < Duration::from_secs(15),
        "took {took:?}: {}",
        run.stderr
    );
    assert!(run.stderr.contains("ListTagsOfResource"), "{}", run.stderr);
}

/// The attack: an endpoint that accepts the connection, reads the request and never
/// answers. What should happen: exit 2 with one line within a bounded time (well under
/// the two minutes of the whole run).
#[test]
fn attack_an_endpoint_that_never_answers() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for client in listener.incoming().flatten() {
            held.push(client);
        }
    });
    let repo = repo(ORDERS);
    let (run, took) = check_aws(&repo, &url, &[]);
    assert_eq!(run.code, 2, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stderr.starts_with("dynalint: error: --aws: "),
        "{}",
        run.stderr
    );
    assert!(
        took < Duration::from_secs(45),
        "took {took:?}: {}",
        run.stderr
    );
}

/// The attack: an endpoint answering 500 with an HTML page (a proxy's error page) every
/// time. What should happen: exit 2, one line, no HTML dumped.
#[test]
fn attack_an_endpoint_answering_html_500() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for client in listener.incoming().flatten() {
            std::thread::spawn(move || {
                let mut reader = BufReader::new(client.try_clone().unwrap());
                let mut line = String::new();
                while reader.read_line(&mut line).is_ok_and(|n| n > 2) {
                    line.clear();
                }
                let body = format!(
                    "<html><body>{}</body></html>",
                    "<p>Bad gateway</p>\n".repeat(5000)
                );
                let mut client = client;
                let _ = write!(
                    client,
                    "HTTP/1.1 502 Bad Gateway\r\nContent-Type: text/html\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
            });
        }
    });
    let repo = repo(ORDERS);
    let (run, took) = check_aws(&repo, &url, &[]);
    assert_eq!(run.code, 2, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stderr.starts_with("dynalint: error: --aws: "),
        "{}",
        run.stderr
    );
    assert!(run.stderr.lines().count() <= 2, "{}", run.stderr);
    assert!(took < Duration::from_secs(45), "took {took:?}");
}

/// The attack: a `credential_process` that fails, echoing the credentials it holds on
/// stderr and stdout. What should happen: exit 2 (no credentials), and none of the
/// secrets in dynalint's output.
#[test]
fn attack_a_failing_credential_process_echoing_secrets() {
    let repo = repo(ORDERS);
    let home = tempfile::tempdir().unwrap();
    let script = home.path().join("creds.sh");
    let output = format!(
        r#"{{"Version": 1, "AccessKeyId": "{ACCESS_KEY}", "SecretAccessKey": "{SECRET_KEY}", "SessionToken": "{SESSION_TOKEN}""#
    );
    for (name, body) in [
        (
            "fails",
            format!("#!/bin/sh\necho '{output}' >&2\necho '{output}'\nexit 1\n"),
        ),
        ("malformed", format!("#!/bin/sh\necho '{output}'\n")),
    ] {
        std::fs::write(&script, body).unwrap();
        std::fs::set_permissions(&script, std::os::unix::fs::PermissionsExt::from_mode(0o755))
            .unwrap();
        std::fs::write(
            home.path().join("config"),
            format!(
                "[default]\nregion = eu-west-1\ncredential_process = {}\n",
                script.display()
            ),
        )
        .unwrap();
        let mut command = isolated(&repo, home.path());
        command
            .env("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
            .args(["check", "--aws"]);
        let started = Instant::now();
        let run = Run::of(command);
        assert_eq!(run.code, 2, "{name}: {}", run.stderr);
        assert!(started.elapsed() < Duration::from_secs(25));
        for secret in [ACCESS_KEY, SECRET_KEY, SESSION_TOKEN] {
            assert!(
                !run.stdout.contains(secret) && !run.stderr.contains(secret),
                "{name}: a secret shows:\n{}\n{}",
                run.stdout,
                run.stderr
            );
        }
    }
}

/// The attack: a fork's pull request without credentials, `--format json` to stdout, and
/// `--fail-on warning`. What should happen: the notice on stderr only, stdout valid JSON,
/// and the exit code as without `--aws`.
#[test]
fn attack_a_forks_notice_keeps_json_on_stdout_and_the_exit_code() {
    let repo = repo(ORDERS);
    let base = repo.git(&["rev-parse", "HEAD"]).trim().to_string();
    repo.values("shop-dev", &ORDERS.replace("Orders", "Invoices"));
    let head = repo.commit("head");
    let event = repo.path().join("event.json");
    std::fs::write(
        &event,
        json!({"pull_request": {"number": 3, "base": {"sha": base, "repo": {"full_name": "org/gitops"}}, "head": {"sha": head, "repo": {"full_name": "someone/gitops"}}}}).to_string(),
    )
    .unwrap();
    let mut codes_seen = Vec::new();
    for aws in [false, true] {
        let home = tempfile::tempdir().unwrap();
        let mut command = isolated(&repo, home.path());
        command
            .env("GITHUB_ACTIONS", "true")
            .env("GITHUB_EVENT_NAME", "pull_request")
            .env("GITHUB_EVENT_PATH", &event)
            .args([
                "check",
                "--base",
                &base,
                "--format",
                "json",
                "--fail-on",
                "warning",
            ]);
        if aws {
            command.arg("--aws");
        }
        let run = Run::of(command);
        let parsed: serde_json::Value = serde_json::from_str(&run.stdout)
            .unwrap_or_else(|error| panic!("stdout is not JSON ({error}):\n{}", run.stdout));
        assert!(parsed["findings"].is_array());
        assert!(!run.stdout.contains("notice"), "{}", run.stdout);
        if aws {
            assert!(
                run.stderr.contains("::notice title=dynalint::"),
                "{}",
                run.stderr
            );
        }
        codes_seen.push(run.code);
    }
    assert_eq!(codes_seen[0], codes_seen[1]);
}

/// The attack: AccessDenied on DescribeTable under `--fail-on warning`, and a table
/// whose region is its own (not the release's). What should happen: the denial is a
/// warning that fails the run, and the table is asked in its own region (DL120 there).
#[test]
#[ignore = "needs moto[server] (`$DYNALINT_MOTO_PYTHON`); .ci/run installs it and runs the ignored tests"]
fn attack_a_denial_under_fail_on_warning_and_a_table_in_its_own_region() {
    let moto = Moto::start();
    moto.seed(json!({"roles": [{"name": "api-shop-dev"}], "tables": [{"name": "shop-dev-Orders", "hash": "Id", "region": "us-west-2"}]}));
    let denied = Trap {
        matching: "DescribeTable",
        times: 1,
        status: 400,
        body: r#"{"__type":"com.amazon.coral.service#AccessDeniedException","message":"not authorized to perform: dynamodb:DescribeTable"}"#.to_string(),
    };
    let wrapper = Wrapper::start(&moto.url, vec![denied]);
    let repo = repo("tables: []\n");
    repo.values("shop-dev", ORDERS);
    let (run, _) = check_aws(
        &repo,
        &wrapper.url,
        &["--base", "HEAD", "--format", "json", "--fail-on", "warning"],
    );
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stdout.contains("lack `dynamodb:DescribeTable`"),
        "{}",
        run.stdout
    );
    // The same table in us-west-2, where it exists unmanaged.
    repo.values(
        "shop-dev",
        &ORDERS.replace("hashKey: Id", "region: us-west-2\n    hashKey: Id"),
    );
    let (run, _) = check_aws(&repo, &moto.url, &["--base", "HEAD", "--format", "json"]);
    assert!(
        codes(&run).iter().any(|code| code.ends_with("DL120")),
        "{}\n{}",
        run.stdout,
        run.stderr
    );
}

/// The attack: DynamoDB answers DescribeTable 200 with malformed JSON. What should
/// happen: exit 2 with one line naming the call, never a pass or a panic.
#[test]
#[ignore = "needs moto[server] (`$DYNALINT_MOTO_PYTHON`); .ci/run installs it and runs the ignored tests"]
fn attack_malformed_json_from_dynamodb() {
    let moto = Moto::start();
    moto.seed(json!({"roles": [{"name": "api-shop-dev"}]}));
    let garbage = Trap {
        matching: "DescribeTable",
        times: usize::MAX,
        status: 200,
        body: r#"{"Table": {"KeySchema": [{"AttributeName": "#.to_string(),
    };
    let wrapper = Wrapper::start(&moto.url, vec![garbage]);
    let repo = repo("tables: []\n");
    repo.values("shop-dev", ORDERS);
    let (run, took) = check_aws(&repo, &wrapper.url, &["--base", "HEAD", "--format", "json"]);
    assert_eq!(run.code, 2, "{}\n{}", run.stdout, run.stderr);
    assert!(run.stderr.contains("DescribeTable"), "{}", run.stderr);
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    assert!(run.stdout.is_empty(), "{}", run.stdout);
    assert!(took < Duration::from_secs(30), "took {took:?}");
}

/// The attack: a shared credentials file the SDK cannot parse, its broken lines holding
/// the secrets (a key pasted without `=`), or a profile naming a source profile that
/// does not exist. What should happen: exit 2, and no secret in the output.
#[test]
fn attack_a_broken_credentials_file_holding_secrets() {
    let repo = repo(ORDERS);
    for credentials in [
        format!("[default]\n{ACCESS_KEY}\n{SECRET_KEY} {SESSION_TOKEN}\n"),
        format!(
            "[default\naws_access_key_id = {ACCESS_KEY}\naws_secret_access_key = {SECRET_KEY}\n"
        ),
        format!(
            "[default]\naws_access_key_id = {ACCESS_KEY}\naws_session_token = {SESSION_TOKEN}\n"
        ),
        format!(
            "[default]\nrole_arn = arn:aws:iam::1:role/{SECRET_KEY}\nsource_profile = {ACCESS_KEY}\n"
        ),
    ] {
        let home = tempfile::tempdir().unwrap();
        std::fs::write(home.path().join("credentials"), &credentials).unwrap();
        let mut command = isolated(&repo, home.path());
        command
            .env("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
            .env("AWS_REGION", "eu-west-1")
            .args(["check", "--aws"]);
        let run = Run::of(command);
        assert_eq!(run.code, 2, "{credentials}: {}", run.stderr);
        assert!(
            run.stderr
                .starts_with("dynalint: error: --aws: no AWS credentials"),
            "{}",
            run.stderr
        );
        for secret in [ACCESS_KEY, SECRET_KEY, SESSION_TOKEN] {
            assert!(
                !run.stdout.contains(secret) && !run.stderr.contains(secret),
                "{credentials}: a secret shows:\n{}\n{}",
                run.stdout,
                run.stderr
            );
        }
    }
}

/// The attack: DescribeTable says the table a change creates exists, without its
/// TableArn (an AWS-compatible endpoint, a proxy). What should happen: its tags cannot
/// be read, so the check stops (exit 2), never a pass that the table is new.
#[test]
#[ignore = "needs moto[server] (`$DYNALINT_MOTO_PYTHON`); .ci/run installs it and runs the ignored tests"]
fn attack_an_existing_table_described_without_its_arn() {
    let moto = Moto::start();
    let no_arn = Trap {
        matching: "DescribeTable",
        times: usize::MAX,
        status: 200,
        body: r#"{"Table":{"TableName":"shop-dev-Orders","TableStatus":"ACTIVE","KeySchema":[{"AttributeName":"Id","KeyType":"HASH"}],"AttributeDefinitions":[{"AttributeName":"Id","AttributeType":"S"}]}}"#.to_string(),
    };
    let wrapper = Wrapper::start(&moto.url, vec![no_arn]);
    let repo = repo("tables: []\n");
    repo.values(
        "shop-dev",
        &ORDERS.replace("    serviceAccountReadRoles: [\"api-shop-dev\"]\n", ""),
    );
    let (run, _) = check_aws(&repo, &wrapper.url, &["--base", "HEAD", "--format", "json"]);
    assert_eq!(run.code, 2, "{}\n{}", run.stdout, run.stderr);
    assert!(run.stderr.contains("no TableArn"), "{}", run.stderr);
}

/// The attack: one role granted, in differing case, by new tables of two releases, and
/// one new table declared in two files (DL105). What should happen: one GetRole (IAM
/// names are case-insensitive; moto's GetRole is not, so the spelling asked decides
/// whether moto finds it) and one DescribeTable per AWS table.
#[test]
#[ignore = "needs moto[server] (`$DYNALINT_MOTO_PYTHON`); .ci/run installs it and runs the ignored tests"]
fn attack_duplicates_across_releases_and_case_are_asked_once() {
    let moto = Moto::start();
    moto.seed(json!({"roles": [{"name": "batch-shop-dev"}]}));
    let repo = repo("tables: []\n");
    let grant =
        |role: &str| ORDERS.replace("[\"api-shop-dev\"]", &format!("[\"{role}\", \"{role}\"]"));
    repo.values("shop-dev", &grant("batch-shop-dev"));
    // The same namespace's release again, in another team folder: the same AWS table.
    repo.write(
        "apps-other/apps/shop-dev/dynamo-tables/values.yaml",
        grant("Batch-Shop-Dev"),
    );
    let (run, _) = check_aws(&repo, &moto.url, &["--base", "HEAD", "--format", "json"]);
    assert!(
        run.stderr.contains("(1 DescribeTable, 1 GetRole"),
        "{}\n{}",
        run.stdout,
        run.stderr
    );
}

/// The attack: a `credential_process` that never ends. What should happen: exit 2 with
/// one line within the credential chain's bound (20 s), never a hang.
#[test]
fn attack_a_credential_process_that_never_ends() {
    let repo = repo(ORDERS);
    let home = tempfile::tempdir().unwrap();
    let script = home.path().join("hang.sh");
    std::fs::write(&script, "#!/bin/sh\nexec sleep 40\n").unwrap();
    std::fs::set_permissions(&script, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    std::fs::write(
        home.path().join("config"),
        format!(
            "[default]\nregion = eu-west-1\ncredential_process = {}\n",
            script.display()
        ),
    )
    .unwrap();
    let mut command = isolated(&repo, home.path());
    command
        .env("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
        .args(["check", "--aws"]);
    let started = Instant::now();
    let run = Run::of(command);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.starts_with(
            "dynalint: error: --aws: no AWS credentials: the credential chain did not answer"
        ),
        "{}",
        run.stderr
    );
    assert!(started.elapsed() < Duration::from_secs(30));
}
