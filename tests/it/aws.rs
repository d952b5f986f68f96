//! `check --aws` against a real moto server (`moto[server]` from PyPI) started by each test
//! on a loopback port, and a wrapper in front of it that throttles, refuses or denies as
//! AWS does. The Python with moto and boto3 is `$DYNALINT_MOTO_PYTHON` (`.ci/run` makes a
//! virtual environment and sets it), else `python3`.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::common::{Repo, Run};

pub(crate) const IGNORE: &str = "needs moto[server]";

pub(crate) fn python() -> String {
    std::env::var("DYNALINT_MOTO_PYTHON").unwrap_or_else(|_| "python3".to_string())
}

/// A moto server on a free loopback port, stopped when dropped.
pub(crate) struct Moto {
    child: Child,
    pub(crate) url: String,
}

impl Moto {
    pub(crate) fn start() -> Moto {
        let port = free_port();
        let child = Command::new(python())
            .args([
                "-m",
                "moto.server",
                "-H",
                "127.0.0.1",
                "-p",
                &port.to_string(),
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|error| panic!("{IGNORE} ({}): {error}", python()));
        let url = format!("http://127.0.0.1:{port}");
        let started = Instant::now();
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "moto did not listen within 30 s"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        Moto { child, url }
    }

    /// Creates roles (with `policies` managed policies attached) and tables, with boto3.
    pub(crate) fn seed(&self, spec: Value) {
        let script = r#"
import json, sys, boto3
url, spec = sys.argv[1], json.loads(sys.argv[2])
keys = dict(aws_access_key_id="testing", aws_secret_access_key="testing", endpoint_url=url)
iam = boto3.client("iam", region_name="us-east-1", **keys)
trust = json.dumps({"Version": "2012-10-17", "Statement": []})
for role in spec.get("roles", []):
    iam.create_role(RoleName=role["name"], AssumeRolePolicyDocument=trust)
    for n in range(role.get("policies", 0)):
        document = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "dynamodb:GetItem", "Resource": "*"}]})
        arn = iam.create_policy(PolicyName="%s-%d" % (role["name"], n), PolicyDocument=document)["Policy"]["Arn"]
        iam.attach_role_policy(RoleName=role["name"], PolicyArn=arn)
for table in spec.get("tables", []):
    ddb = boto3.client("dynamodb", region_name=table.get("region", "eu-west-1"), **keys)
    keys_schema = [{"AttributeName": table["hash"], "KeyType": "HASH"}]
    attributes = [{"AttributeName": table["hash"], "AttributeType": "S"}]
    if table.get("range"):
        keys_schema.append({"AttributeName": table["range"], "KeyType": "RANGE"})
        attributes.append({"AttributeName": table["range"], "AttributeType": "S"})
    extra = {}
    if table.get("tags"):
        extra["Tags"] = [{"Key": k, "Value": v} for k, v in table["tags"].items()]
    ddb.create_table(TableName=table["name"], KeySchema=keys_schema, AttributeDefinitions=attributes, BillingMode="PAY_PER_REQUEST", **extra)
    if table.get("pitr"):
        ddb.update_continuous_backups(TableName=table["name"], PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True})
    if table.get("ttl"):
        ddb.update_time_to_live(TableName=table["name"], TimeToLiveSpecification={"Enabled": True, "AttributeName": table["ttl"]})
"#;
        let status = Command::new(python())
            .args(["-c", script, &self.url, &spec.to_string()])
            .status()
            .unwrap();
        assert!(status.success(), "seeding moto with {spec}");
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub(crate) fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// What the wrapper answers instead of moto, for requests whose target or action
/// contains `matching`, the first `times` times.
#[derive(Clone)]
pub(crate) struct Trap {
    pub(crate) matching: &'static str,
    pub(crate) times: usize,
    pub(crate) status: u16,
    pub(crate) body: String,
}

/// A loopback proxy in front of moto: each request is answered by the first trap that
/// matches it and has times left, else forwarded. Counts the requests it saw.
pub(crate) struct Wrapper {
    pub(crate) url: String,
    pub(crate) seen: Arc<AtomicUsize>,
}

impl Wrapper {
    pub(crate) fn start(upstream: &str, traps: Vec<Trap>) -> Wrapper {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let upstream = upstream.trim_start_matches("http://").to_string();
        let traps = Arc::new(Mutex::new(traps));
        let seen = Arc::new(AtomicUsize::new(0));
        let counted = Arc::clone(&seen);
        std::thread::spawn(move || {
            for client in listener.incoming().flatten() {
                let (traps, upstream, counted) =
                    (Arc::clone(&traps), upstream.clone(), Arc::clone(&counted));
                std::thread::spawn(move || {
                    let _ = serve(client, &upstream, &traps, &counted);
                });
            }
        });
        Wrapper { url, seen }
    }
}

/// One request per connection (the answer says `Connection: close`).
fn serve(
    client: TcpStream,
    upstream: &str,
    traps: &Mutex<Vec<Trap>>,
    seen: &AtomicUsize,
) -> std::io::Result<()> {
    let mut reader = BufReader::new(client.try_clone()?);
    let mut head = String::new();
    let mut length = 0;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 {
            return Ok(());
        }
        if let Some(value) = line.to_ascii_lowercase().strip_prefix("content-length:") {
            length = value.trim().parse().unwrap_or(0);
        }
        let end = line == "\r\n";
        if !line.to_ascii_lowercase().starts_with("connection:") {
            head.push_str(&line);
        }
        if end {
            break;
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body)?;
    seen.fetch_add(1, Ordering::SeqCst);
    let text = format!("{head}{}", String::from_utf8_lossy(&body));
    let trapped = {
        let mut traps = traps.lock().unwrap();
        traps
            .iter_mut()
            .find(|trap| trap.times > 0 && text.contains(trap.matching))
            .map(|trap| {
                trap.times -= 1;
                trap.clone()
            })
    };
    let mut client = client;
    match trapped {
        Some(trap) => {
            let json = trap.body.starts_with('{');
            write!(
                client,
                "HTTP/1.1 {} Trapped\r\nContent-Type: {}\r\nx-amzn-RequestId: trapped\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{}",
                trap.status,
                if json {
                    "application/x-amz-json-1.0"
                } else {
                    "text/xml"
                },
                trap.body.len(),
                trap.body
            )?;
        }
        None => {
            let mut moto = TcpStream::connect(upstream)?;
            // The request as it came, closing after the answer.
            let head = head.trim_end_matches("\r\n");
            write!(moto, "{head}\r\nConnection: close\r\n\r\n")?;
            moto.write_all(&body)?;
            let mut answer = Vec::new();
            moto.read_to_end(&mut answer)?;
            client.write_all(&answer)?;
        }
    }
    client.flush()
}

/// The GitOps repository of the tests: shop-dev's values, committed as the base.
pub(crate) fn repo(values: &str) -> Repo {
    let repo = Repo::new();
    repo.workload("shop-dev", "api");
    repo.values("shop-dev", values);
    repo.commit("base");
    repo
}

/// Secrets the tests give dynalint: they must never show.
pub(crate) const ACCESS_KEY: &str = "AKIADYNALINTTEST0001";
pub(crate) const SECRET_KEY: &str = "dynalint/secret/key/never-shown";
pub(crate) const SESSION_TOKEN: &str = "dynalint-session-token-never-shown";

/// dynalint in `repo` with no AWS credentials or configuration from this machine: an
/// empty home, no profile, no instance metadata.
pub(crate) fn isolated(repo: &Repo, home: &std::path::Path) -> assert_cmd::Command {
    let mut command = repo.command();
    for name in [
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_PROFILE",
        "AWS_DEFAULT_PROFILE",
        "AWS_WEB_IDENTITY_TOKEN_FILE",
        "AWS_ROLE_ARN",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    ] {
        command.env_remove(name);
    }
    command
        .env("HOME", home)
        .env("AWS_CONFIG_FILE", home.join("config"))
        .env("AWS_SHARED_CREDENTIALS_FILE", home.join("credentials"))
        .env("AWS_EC2_METADATA_DISABLED", "true");
    command
}

/// `dynalint check --aws ARGS` against `endpoint`, with only these credentials.
pub(crate) fn check_aws(repo: &Repo, endpoint: &str, args: &[&str]) -> (Run, Duration) {
    let home = tempfile::tempdir().unwrap();
    let mut command = isolated(repo, home.path());
    command
        .env("AWS_ENDPOINT_URL", endpoint)
        .env("AWS_REGION", "eu-west-1")
        .env("AWS_ACCESS_KEY_ID", ACCESS_KEY)
        .env("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
        .env("AWS_SESSION_TOKEN", SESSION_TOKEN)
        .arg("check")
        .arg("--aws")
        .args(args);
    let started = Instant::now();
    let run = Run::of(command);
    let took = started.elapsed();
    for secret in [ACCESS_KEY, SECRET_KEY, SESSION_TOKEN] {
        assert!(
            !run.stdout.contains(secret) && !run.stderr.contains(secret),
            "a secret shows:\n{}\n{}",
            run.stdout,
            run.stderr
        );
    }
    (run, took)
}

/// `line:column CODE` of each finding of the JSON output.
pub(crate) fn codes(run: &Run) -> Vec<String> {
    run.json()["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|finding| {
            format!(
                "{}:{} {}",
                finding["line"],
                finding["column"],
                finding["rule"].as_str().unwrap()
            )
        })
        .collect()
}

pub(crate) const ORDERS: &str = "tables:\n  - name: Orders\n    hashKey: Id\n    attributes: [{name: Id, type: 'S'}]\n    serviceAccountReadRoles: [\"api-shop-dev\"]\n";

#[test]
#[ignore = "needs moto[server] (`$DYNALINT_MOTO_PYTHON`); .ci/run installs it and runs the ignored tests"]
fn roles_created_and_not_and_a_role_at_its_quota() {
    let moto = Moto::start();
    moto.seed(
        json!({"roles": [{"name": "api-shop-dev"}, {"name": "batch-shop-dev", "policies": 10}]}),
    );
    let repo = repo(ORDERS);
    // The change grants two more roles: one IAM lacks, one already at ten policies.
    repo.values(
        "shop-dev",
        &ORDERS.replace(
            "[\"api-shop-dev\"]",
            "[\"api-shop-dev\", \"batch-shop-dev\", \"gone-shop-dev\"]",
        ),
    );
    let (run, _) = check_aws(&repo, &moto.url, &["--base", "HEAD", "--format", "json"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let found = codes(&run);
    assert!(found.contains(&"5:47 DL208".to_string()), "{found:?}");
    assert!(found.contains(&"5:65 DL207".to_string()), "{found:?}");
    assert!(
        !found.iter().any(|code| code.starts_with("5:31")),
        "{found:?}"
    );
    // Only the two roles new to the release were asked; the one that exists had its
    // attachments counted.
    assert!(
        run.stderr
            .contains("dynalint: aws: 3 calls (2 GetRole, 1 ListAttachedRolePolicies) in "),
        "{}",
        run.stderr
    );
    let message = run.json()["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|finding| finding["rule"] == "DL208")
        .unwrap()["message"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        message.contains("already has 10 managed policies attached"),
        "{message}"
    );
}

#[test]
#[ignore = "needs moto[server] (`$DYNALINT_MOTO_PYTHON`); .ci/run installs it and runs the ignored tests"]
fn an_unmanaged_table_the_change_creates_and_observe_tables_missing_or_other() {
    let moto = Moto::start();
    moto.seed(json!({
        "roles": [{"name": "api-shop-dev"}],
        "tables": [
            {"name": "shop-dev-Orders", "hash": "Id", "tags": {"team": "shop"}},
            {"name": "shop-dev-Legacy", "hash": "LegacyId", "range": "At"},
        ]
    }));
    let repo = repo("tables: []\n");
    repo.values("shop-dev", ORDERS);
    repo.values(
        "shop-prod",
        "managementPolicies: Observe\ntables:\n  - name: Legacy\n    hashKey: Id\n    attributes: [{name: Id, type: 'S'}]\n  - name: Ghost\n    hashKey: Id\n    attributes: [{name: Id, type: 'S'}]\n",
    );
    // shop-prod's names are shop-prod-*: seed them too, one with another key schema.
    moto.seed(json!({"tables": [{"name": "shop-prod-Legacy", "hash": "LegacyId", "range": "At"}]}));
    let (run, _) = check_aws(&repo, &moto.url, &["--base", "HEAD", "--format", "json"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let found = codes(&run);
    assert!(found.contains(&"2:11 DL120".to_string()), "{found:?}");
    // shop-prod is new: its Observe tables are compared (Legacy's keys, Ghost missing).
    let prod: Vec<String> = run.json()["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|finding| {
            finding["path"].as_str().unwrap().contains("shop-prod") && finding["rule"] == "DL121"
        })
        .map(|finding| format!("{}:{}", finding["line"], finding["column"]))
        .collect();
    // The partition key and the sort key differ (both said at `hashKey`, the values having
    // no rangeKey), and Ghost does not exist.
    assert_eq!(prod, ["4:14", "4:14", "6:11"], "{}", run.stdout);
    assert!(run.stderr.contains("1 GetRole"), "{}", run.stderr);
    assert!(run.stderr.contains("3 DescribeTable"), "{}", run.stderr);
}

#[test]
#[ignore = "needs moto[server] (`$DYNALINT_MOTO_PYTHON`); .ci/run installs it and runs the ignored tests"]
fn throttling_is_retried_and_access_denied_is_a_finding() {
    let moto = Moto::start();
    moto.seed(json!({"roles": [{"name": "api-shop-dev"}]}));
    let throttled = Trap {
        matching: "DescribeTable",
        times: 2,
        status: 400,
        body: r#"{"__type":"com.amazonaws.dynamodb.v20120810#ThrottlingException","message":"Rate of requests exceeds the allowed throughput."}"#.to_string(),
    };
    let wrapper = Wrapper::start(&moto.url, vec![throttled]);
    let repo = repo("tables: []\n");
    repo.values("shop-dev", ORDERS);
    let (run, _) = check_aws(&repo, &wrapper.url, &["--base", "HEAD", "--format", "json"]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    // Retries are not calls: one DescribeTable, answered on its third attempt.
    assert!(
        run.stderr
            .contains("3 calls (1 DescribeTable, 1 GetRole, 1 ListAttachedRolePolicies)"),
        "{}",
        run.stderr
    );
    assert_eq!(wrapper.seen.load(Ordering::SeqCst), 5);

    let denied = Trap {
        matching: "GetRole",
        times: 1,
        status: 403,
        body: "<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>User: arn:aws:sts::123456789012:assumed-role/ci is not authorized to perform: iam:GetRole</Message></Error><RequestId>x</RequestId></ErrorResponse>".to_string(),
    };
    let wrapper = Wrapper::start(&moto.url, vec![denied]);
    let (run, _) = check_aws(&repo, &wrapper.url, &["--base", "HEAD", "--format", "json"]);
    assert_eq!(run.code, 0, "a warning: {}\n{}", run.stdout, run.stderr);
    let finding = &run.json()["findings"][0];
    assert_eq!(finding["rule"], "DL207");
    assert_eq!(finding["severity"], "warning");
    assert!(
        finding["message"]
            .as_str()
            .unwrap()
            .contains("lack `iam:GetRole`"),
        "{finding}"
    );
}

#[test]
#[ignore = "needs moto[server] (`$DYNALINT_MOTO_PYTHON`); .ci/run installs it and runs the ignored tests"]
fn refused_credentials_an_endpoint_down_and_no_credentials_are_exit_2_within_seconds() {
    let repo = repo(ORDERS);
    // An expired token, its message echoing the token as some services do.
    let moto = Moto::start();
    let expired = Trap {
        matching: "GetRole",
        times: 10,
        status: 403,
        body: format!(
            "<ErrorResponse><Error><Type>Sender</Type><Code>ExpiredToken</Code><Message>The security token {SESSION_TOKEN} included in the request is expired</Message></Error><RequestId>x</RequestId></ErrorResponse>"
        ),
    };
    let wrapper = Wrapper::start(&moto.url, vec![expired]);
    let (run, _) = check_aws(&repo, &wrapper.url, &[]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    let first = run.stderr.lines().next().unwrap();
    assert!(
        first.starts_with(
            "dynalint: error: --aws: the AWS credentials were refused: GetRole: ExpiredToken"
        ),
        "{}",
        run.stderr
    );
    drop(moto);

    // Nothing listens there.
    let down = format!("http://127.0.0.1:{}", free_port());
    let (run, took) = check_aws(&repo, &down, &[]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("--aws: cannot reach AWS"),
        "{}",
        run.stderr
    );
    assert_eq!(
        run.stderr.matches("cannot reach AWS").count(),
        1,
        "said once: {}",
        run.stderr
    );
    assert!(took < Duration::from_secs(15), "took {took:?}");

    // No credentials anywhere.
    let home = tempfile::tempdir().unwrap();
    let mut command = isolated(&repo, home.path());
    command
        .env("AWS_ENDPOINT_URL", &down)
        .args(["check", "--aws"]);
    let started = Instant::now();
    let run = Run::of(command);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr
            .lines()
            .next()
            .unwrap()
            .starts_with("dynalint: error: --aws: no AWS credentials"),
        "{}",
        run.stderr
    );
    assert!(started.elapsed() < Duration::from_secs(15));
}

/// `check --aws` in a `pull_request` job with no AWS credentials, the pull request's head
/// being `head_repo`'s.
fn in_pull_request_without_credentials(head_repo: &str) -> Run {
    let repo = repo(ORDERS);
    let base = repo.git(&["rev-parse", "HEAD"]).trim().to_string();
    repo.values("shop-dev", &ORDERS.replace("Orders", "Invoices"));
    let head = repo.commit("head");
    let event = repo.path().join("event.json");
    std::fs::write(
        &event,
        json!({"pull_request": {"number": 3, "base": {"sha": base, "repo": {"full_name": "org/gitops"}}, "head": {"sha": head, "repo": {"full_name": head_repo}}}}).to_string(),
    )
    .unwrap();
    let home = tempfile::tempdir().unwrap();
    let mut command = isolated(&repo, home.path());
    command
        .env("GITHUB_ACTIONS", "true")
        .env("GITHUB_EVENT_NAME", "pull_request")
        .env("GITHUB_EVENT_PATH", &event)
        .args(["check", "--aws"]);
    Run::of(command)
}

#[test]
fn a_forks_pull_request_without_credentials_is_a_notice_and_the_exit_code_unchanged() {
    let run = in_pull_request_without_credentials("someone/gitops");
    // Renaming Orders deletes it (DL302): the same failure as without --aws.
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("DL302"), "{}", run.stdout);
    assert!(
        run.stderr
            .contains("::notice title=dynalint::--aws: no AWS credentials")
            && run
                .stderr
                .contains("a pull request from a fork gets no secrets"),
        "{}",
        run.stderr
    );
}

#[test]
fn the_repositorys_own_pull_request_without_credentials_is_exit_2() {
    let run = in_pull_request_without_credentials("org/gitops");
    assert_eq!(run.code, 2, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stderr
            .starts_with("dynalint: error: --aws: no AWS credentials"),
        "{}",
        run.stderr
    );
}

#[test]
#[ignore = "needs moto[server] (`$DYNALINT_MOTO_PYTHON`); .ci/run installs it and runs the ignored tests"]
fn a_switch_to_control_reads_what_control_would_change() {
    let moto = Moto::start();
    moto.seed(json!({"tables": [{"name": "shop-dev-Orders", "hash": "Id", "pitr": true, "ttl": "expiresAt"}]}));
    let observed = "managementPolicies: Observe\ntables:\n  - name: Orders\n    hashKey: Id\n    attributes: [{name: Id, type: 'S'}]\n    pointInTimeRecovery: false\n    ttl:\n      attributeName: ttl\n      enabled: true\n";
    let repo = repo(observed);
    repo.values(
        "shop-dev",
        &observed.replace("managementPolicies: Observe", "managementPolicies: Control"),
    );
    let (run, _) = check_aws(&repo, &moto.url, &["--base", "HEAD", "--format", "json"]);
    let drift: Vec<String> = codes(&run)
        .into_iter()
        .filter(|code| code.ends_with("DL121"))
        .collect();
    assert_eq!(drift, ["6:26 DL121", "8:22 DL121"], "{}", run.stdout);
    assert!(
        run.stderr.contains(
            "3 calls (1 DescribeContinuousBackups, 1 DescribeTable, 1 DescribeTimeToLive)"
        ),
        "{}",
        run.stderr
    );
}

#[test]
#[ignore = "needs moto[server] (`$DYNALINT_MOTO_PYTHON`); .ci/run installs it and runs the ignored tests"]
fn attack_the_change_turns_the_rule_off_or_rides_an_old_suppression() {
    let moto = Moto::start();
    moto.seed(json!({"roles": [{"name": "api-shop-dev"}]}));
    // The base suppressed DL207 on the grant line, for a role created by hand then.
    let suppressed = ORDERS.replace(
        "[\"api-shop-dev\"]\n",
        "[\"api-shop-dev\"]  # dynalint: ignore[DL207] -- created by hand, RFC-7\n",
    );
    let repo = repo(&suppressed);
    // The pull request adds a role IAM lacks on that line, and turns the rule off.
    repo.values(
        "shop-dev",
        &suppressed.replace(
            "[\"api-shop-dev\"]",
            "[\"api-shop-dev\", \"typo-shop-dev\"]",
        ),
    );
    // The old suppression is the base's: it does not cover the new grant.
    let (run, _) = check_aws(&repo, &moto.url, &["--base", "HEAD", "--format", "json"]);
    assert!(
        codes(&run).contains(&"5:47 DL207".to_string()),
        "{}",
        run.stdout
    );
    repo.write("dynalint.toml", "[rules]\nrole-missing-in-aws = \"off\"\n");
    let (run, _) = check_aws(&repo, &moto.url, &["--base", "HEAD", "--format", "json"]);
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    assert!(
        codes(&run).contains(&"5:47 DL207".to_string()),
        "{}",
        run.stdout
    );
    assert!(
        run.stderr
            .contains("the configuration lowers DL207 role-missing-in-aws in this change"),
        "{}",
        run.stderr
    );
    // Once merged, the setting is the base's: the team's decision (DL201, from the
    // repository, still fails).
    repo.commit("turn it off");
    repo.values(
        "shop-dev",
        &suppressed.replace(
            "[\"api-shop-dev\"]",
            "[\"api-shop-dev\", \"typo-shop-dev\", \"other-shop-dev\"]",
        ),
    );
    let (run, _) = check_aws(&repo, &moto.url, &["--base", "HEAD", "--format", "json"]);
    assert!(
        !codes(&run).iter().any(|code| code.ends_with("DL207")),
        "{}",
        run.stdout
    );
    assert!(!run.stderr.contains("lowers DL207"), "{}", run.stderr);
}
