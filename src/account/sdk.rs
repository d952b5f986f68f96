//! The AWS account through the AWS SDK for Rust: the standard credential chain and region
//! resolution (`AWS_PROFILE`, `AWS_ACCESS_KEY_ID`, web identity, SSO, ...), `AWS_ENDPOINT_URL`
//! honoured, each table asked in its own region. Read-only and bounded: five calls, each
//! role and table once, at most `concurrency` at a time, throttling retried with backoff,
//! the whole run within `timeout`. What the credentials may not do is an answer
//! ([`Answer::Denied`]); what stops the whole check (no credentials, refused credentials,
//! no endpoint) is an [`AccountError`]. No secret is ever part of a message.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_dynamodb::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_iam::config::ProvideCredentials;
use tokio::sync::Semaphore;

use super::{Account, AccountError, Answer, Facts, Index, Questions, Role, Table, TableQuestion};
use crate::model::{BillingMode, TableId};

/// How the account is read.
#[derive(Clone, Copy, Debug)]
pub struct Options {
    /// Calls in flight at once.
    pub concurrency: usize,
    /// The whole run, retries included.
    pub timeout: Duration,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            concurrency: 16,
            timeout: Duration::from_secs(120),
        }
    }
}

pub struct SdkAccount {
    runtime: tokio::runtime::Runtime,
    config: SdkConfig,
    options: Options,
    /// The credentials' secret parts, only to take them out of any message.
    secrets: Arc<Vec<String>>,
}

/// The calls made, by action.
type Calls = Arc<Mutex<BTreeMap<&'static str, usize>>>;

fn count(calls: &Calls, action: &'static str) {
    *calls
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .entry(action)
        .or_default() += 1;
}

impl SdkAccount {
    /// Loads the configuration and resolves the credentials once: none is an error now,
    /// before anything is asked.
    pub fn connect(options: Options) -> Result<SdkAccount, AccountError> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|error| AccountError::Unreachable(error.to_string()))?;
        // rustls with ring: no aws-lc, so no cmake or C++ to build.
        let http = aws_smithy_http_client::Builder::new()
            .tls_provider(aws_smithy_http_client::tls::Provider::Rustls(
                aws_smithy_http_client::tls::rustls_provider::CryptoMode::Ring,
            ))
            .build_https();
        let timeouts = TimeoutConfig::builder()
            .connect_timeout(Duration::from_secs(3))
            .operation_attempt_timeout(Duration::from_secs(10))
            .operation_timeout(Duration::from_secs(30))
            .build();
        // Throttling (and other transient errors) retried with exponential backoff and
        // jitter, from 100 ms: an endpoint that is down still fails within seconds.
        let retries = RetryConfig::standard()
            .with_max_attempts(5)
            .with_initial_backoff(Duration::from_millis(100))
            .with_max_backoff(Duration::from_secs(5));
        let (config, secrets) = runtime.block_on(async {
            let config = aws_config::defaults(BehaviorVersion::latest())
                .http_client(http)
                .timeout_config(timeouts)
                .retry_config(retries)
                .load()
                .await;
            let provider = config.credentials_provider().ok_or_else(|| {
                AccountError::Credentials("no credential provider is configured".to_string())
            })?;
            let resolved =
                tokio::time::timeout(Duration::from_secs(20), provider.provide_credentials())
                    .await
                    .map_err(|_| {
                        AccountError::Credentials(
                            "the credential chain did not answer within 20 s".to_string(),
                        )
                    })?
                    .map_err(|error| {
                        AccountError::Credentials(without_process_output(
                            &DisplayErrorContext(&error).to_string(),
                        ))
                    })?;
            if resolved
                .expiry()
                .is_some_and(|expiry| expiry <= std::time::SystemTime::now())
            {
                return Err(AccountError::Refused(
                    "the session token has expired".to_string(),
                ));
            }
            let mut secrets = vec![
                resolved.access_key_id().to_string(),
                resolved.secret_access_key().to_string(),
            ];
            secrets.extend(resolved.session_token().map(str::to_string));
            Ok((config, secrets))
        })?;
        Ok(SdkAccount {
            runtime,
            config,
            options,
            secrets: Arc::new(secrets),
        })
    }

    async fn ask(&self, questions: &Questions) -> Result<Facts, AccountError> {
        let started = Instant::now();
        let calls: Calls = Arc::default();
        let limit = Arc::new(Semaphore::new(self.options.concurrency.max(1)));
        // IAM is global; its endpoint signs for us-east-1 when no region is configured.
        let iam_region = self
            .config
            .region()
            .cloned()
            .unwrap_or_else(|| Region::new("us-east-1"));
        let iam = aws_sdk_iam::Client::from_conf(
            aws_sdk_iam::config::Builder::from(&self.config)
                .region(iam_region)
                .build(),
        );
        let mut dynamodb: HashMap<String, aws_sdk_dynamodb::Client> = HashMap::new();
        let mut tasks = tokio::task::JoinSet::new();
        for (key, name) in &questions.roles {
            let (iam, limit, calls, secrets) = (
                iam.clone(),
                Arc::clone(&limit),
                Arc::clone(&calls),
                Arc::clone(&self.secrets),
            );
            let (key, name) = (key.clone(), name.clone());
            let attachments = questions.attachments.contains(&key);
            tasks.spawn(async move {
                let answer = role(&iam, &name, attachments, &limit, &calls, &secrets).await;
                answer.map(|answer| Asked::Role(key, answer))
            });
        }
        for (id, question) in &questions.tables {
            let client = dynamodb
                .entry(id.region.clone())
                .or_insert_with(|| {
                    aws_sdk_dynamodb::Client::from_conf(
                        aws_sdk_dynamodb::config::Builder::from(&self.config)
                            .region(Region::new(id.region.clone()))
                            .build(),
                    )
                })
                .clone();
            let (limit, calls, secrets) = (
                Arc::clone(&limit),
                Arc::clone(&calls),
                Arc::clone(&self.secrets),
            );
            let (id, question) = (id.clone(), *question);
            tasks.spawn(async move {
                let answer = table(&client, &id, question, &limit, &calls, &secrets).await;
                answer.map(|answer| Asked::Table(id, Box::new(answer)))
            });
        }
        let mut facts = Facts::default();
        while let Some(done) = tasks.join_next().await {
            // The first error that stops the check stops the other calls too.
            let asked = done.map_err(|error| AccountError::Unreachable(error.to_string()))??;
            match asked {
                Asked::Role(key, answer) => {
                    facts.roles.insert(key, answer);
                }
                Asked::Table(id, answer) => {
                    facts.tables.insert(id, *answer);
                }
            }
        }
        facts.calls = calls
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone();
        facts.elapsed = started.elapsed();
        Ok(facts)
    }
}

enum Asked {
    Role(String, Answer<Role>),
    Table(TableId, Box<Answer<Table>>),
}

impl Account for SdkAccount {
    fn answer(&self, questions: &Questions) -> Result<Facts, AccountError> {
        let timeout = self.options.timeout;
        self.runtime.block_on(async {
            tokio::time::timeout(timeout, self.ask(questions))
                .await
                .map_err(|_| AccountError::TimedOut(timeout))?
        })
    }
}

/// GetRole, then ListAttachedRolePolicies (every page) when asked.
async fn role(
    iam: &aws_sdk_iam::Client,
    name: &str,
    attachments: bool,
    limit: &Semaphore,
    calls: &Calls,
    secrets: &[String],
) -> Result<Answer<Role>, AccountError> {
    let found = {
        let _permit = limit.acquire().await;
        count(calls, "GetRole");
        iam.get_role().role_name(name).send().await
    };
    let output = match found {
        Ok(output) => output,
        Err(error) => {
            return classify(error, "GetRole", "iam:GetRole", &["NoSuchEntity"], secrets);
        }
    };
    let name = output
        .role()
        .map_or(name, |role| role.role_name())
        .to_string();
    if !attachments {
        return Ok(Answer::Found(Role {
            name,
            attached: None,
        }));
    }
    let mut attached = Vec::new();
    let mut marker: Option<String> = None;
    let mut pages = Pages::default();
    let answer = loop {
        let page = {
            let _permit = limit.acquire().await;
            count(calls, "ListAttachedRolePolicies");
            iam.list_attached_role_policies()
                .role_name(&name)
                .set_marker(marker.clone())
                .send()
                .await
        };
        match page {
            Ok(page) => {
                attached.extend(
                    page.attached_policies()
                        .iter()
                        .filter_map(|policy| policy.policy_name().map(str::to_string)),
                );
                match page.marker().filter(|_| page.is_truncated()) {
                    Some(next) => {
                        marker = Some(next_page("ListAttachedRolePolicies", &mut pages, next)?);
                    }
                    None => break Answer::Found(std::mem::take(&mut attached)),
                }
            }
            Err(error) => {
                break classify(
                    error,
                    "ListAttachedRolePolicies",
                    "iam:ListAttachedRolePolicies",
                    &["NoSuchEntity"],
                    secrets,
                )?;
            }
        }
    };
    Ok(Answer::Found(Role {
        name,
        attached: Some(answer),
    }))
}

/// DescribeTable; then, when it exists, ListTagsOfResource (every page) and
/// DescribeContinuousBackups and DescribeTimeToLive when asked.
async fn table(
    client: &aws_sdk_dynamodb::Client,
    id: &TableId,
    question: TableQuestion,
    limit: &Semaphore,
    calls: &Calls,
    secrets: &[String],
) -> Result<Answer<Table>, AccountError> {
    let described = {
        let _permit = limit.acquire().await;
        count(calls, "DescribeTable");
        client.describe_table().table_name(&id.name).send().await
    };
    let output = match described {
        Ok(output) => output,
        Err(error) => {
            return classify(
                error,
                "DescribeTable",
                "dynamodb:DescribeTable",
                &["ResourceNotFoundException"],
                secrets,
            );
        }
    };
    let Some(description) = output.table() else {
        return Ok(Answer::Missing);
    };
    let keys = |schema: &[aws_sdk_dynamodb::types::KeySchemaElement]| {
        let of = |kind: aws_sdk_dynamodb::types::KeyType| {
            schema
                .iter()
                .find(|key| *key.key_type() == kind)
                .map(|key| key.attribute_name().to_string())
        };
        (
            of(aws_sdk_dynamodb::types::KeyType::Hash).unwrap_or_default(),
            of(aws_sdk_dynamodb::types::KeyType::Range),
        )
    };
    let (hash_key, range_key) = keys(description.key_schema());
    let index = |name: Option<&str>, schema: &[aws_sdk_dynamodb::types::KeySchemaElement]| {
        let (hash_key, range_key) = keys(schema);
        Index {
            name: name.unwrap_or_default().to_string(),
            hash_key,
            range_key,
        }
    };
    let lsis = description
        .local_secondary_indexes()
        .iter()
        .map(|lsi| index(lsi.index_name(), lsi.key_schema()))
        .collect();
    let gsis = description
        .global_secondary_indexes()
        .iter()
        .map(|gsi| index(gsi.index_name(), gsi.key_schema()))
        .collect();
    let billing = match description
        .billing_mode_summary()
        .and_then(|summary| summary.billing_mode())
    {
        Some(aws_sdk_dynamodb::types::BillingMode::PayPerRequest) => BillingMode::PayPerRequest,
        _ => BillingMode::Provisioned,
    };
    let attributes = description
        .attribute_definitions()
        .iter()
        .map(|attribute| {
            (
                attribute.attribute_name().to_string(),
                attribute.attribute_type().as_str().to_string(),
            )
        })
        .collect();
    let tags = match (question.tags, description.table_arn()) {
        (true, Some(arn)) => Some(table_tags(client, arn, limit, calls, secrets).await?),
        // Who manages a table that exists must be known: never a silent pass.
        (true, None) => {
            return Err(AccountError::Failed {
                action: "DescribeTable",
                message: format!(
                    "table `{}` exists but its description has no TableArn: its tags cannot be read",
                    id.name
                ),
            });
        }
        (false, _) => None,
    };
    let (pitr, ttl) = if question.settings {
        settings(client, &id.name, limit, calls, secrets).await?
    } else {
        (None, None)
    };
    Ok(Answer::Found(Table {
        hash_key,
        range_key,
        attributes,
        lsis,
        gsis,
        billing,
        tags,
        pitr,
        ttl,
    }))
}

type Settings = (Option<Answer<bool>>, Option<Answer<Option<String>>>);

/// Point-in-time recovery (on or not) and TTL (its attribute when enabled or enabling).
async fn settings(
    client: &aws_sdk_dynamodb::Client,
    name: &str,
    limit: &Semaphore,
    calls: &Calls,
    secrets: &[String],
) -> Result<Settings, AccountError> {
    use aws_sdk_dynamodb::types::{PointInTimeRecoveryStatus, TimeToLiveStatus};
    let backups = {
        let _permit = limit.acquire().await;
        count(calls, "DescribeContinuousBackups");
        client
            .describe_continuous_backups()
            .table_name(name)
            .send()
            .await
    };
    let pitr = match backups {
        Ok(output) => Answer::Found(
            output
                .continuous_backups_description()
                .and_then(|description| description.point_in_time_recovery_description())
                .and_then(|pitr| pitr.point_in_time_recovery_status())
                == Some(&PointInTimeRecoveryStatus::Enabled),
        ),
        Err(error) => classify(
            error,
            "DescribeContinuousBackups",
            "dynamodb:DescribeContinuousBackups",
            &["TableNotFoundException", "ResourceNotFoundException"],
            secrets,
        )?,
    };
    let ttl = {
        let _permit = limit.acquire().await;
        count(calls, "DescribeTimeToLive");
        client.describe_time_to_live().table_name(name).send().await
    };
    let ttl = match ttl {
        Ok(output) => Answer::Found(output.time_to_live_description().and_then(|ttl| {
            matches!(
                ttl.time_to_live_status(),
                Some(TimeToLiveStatus::Enabled | TimeToLiveStatus::Enabling)
            )
            .then(|| ttl.attribute_name().unwrap_or_default().to_string())
        })),
        Err(error) => classify(
            error,
            "DescribeTimeToLive",
            "dynamodb:DescribeTimeToLive",
            &["ResourceNotFoundException"],
            secrets,
        )?,
    };
    Ok((Some(pitr), Some(ttl)))
}

async fn table_tags(
    client: &aws_sdk_dynamodb::Client,
    arn: &str,
    limit: &Semaphore,
    calls: &Calls,
    secrets: &[String],
) -> Result<Answer<BTreeMap<String, String>>, AccountError> {
    let mut tags = BTreeMap::new();
    let mut next: Option<String> = None;
    let mut pages = Pages::default();
    loop {
        let page = {
            let _permit = limit.acquire().await;
            count(calls, "ListTagsOfResource");
            client
                .list_tags_of_resource()
                .resource_arn(arn)
                .set_next_token(next.clone())
                .send()
                .await
        };
        match page {
            Ok(page) => {
                tags.extend(
                    page.tags()
                        .iter()
                        .map(|tag| (tag.key().to_string(), tag.value().to_string())),
                );
                match page.next_token() {
                    Some(token) => {
                        next = Some(next_page("ListTagsOfResource", &mut pages, token)?);
                    }
                    None => return Ok(Answer::Found(tags)),
                }
            }
            Err(error) => {
                return classify(
                    error,
                    "ListTagsOfResource",
                    "dynamodb:ListTagsOfResource",
                    &["ResourceNotFoundException"],
                    secrets,
                );
            }
        }
    }
}

/// The pagination tokens a listing was given.
#[derive(Default)]
struct Pages {
    seen: std::collections::HashSet<String>,
}

/// More pages than a role's policies or a table's tags can fill: the service loops.
const MAX_PAGES: usize = 100;

/// The token of the next page, unless the service gives one again (a listing that would
/// never end) or more pages than any answer has.
fn next_page(action: &'static str, pages: &mut Pages, token: &str) -> Result<String, AccountError> {
    if !pages.seen.insert(token.to_string()) || pages.seen.len() > MAX_PAGES {
        return Err(AccountError::Failed {
            action,
            message: format!(
                "its pages do not end (a pagination token repeats, or more than {MAX_PAGES} pages)"
            ),
        });
    }
    Ok(token.to_string())
}

/// A credential provider's error without what a `credential_process` printed: its
/// output may hold the very secrets it failed to hand over.
fn without_process_output(text: &str) -> String {
    let text = one_line(text);
    match text.find("Stderr:").or_else(|| text.find("stdout:")) {
        Some(at) => format!(
            "{}(the process's output is not shown: it may hold secrets)",
            &text[..at]
        ),
        None => text,
    }
}

/// What a failed call means: the thing is missing, this permission is missing, or the
/// check cannot go on.
fn classify<T, E, R>(
    error: SdkError<E, R>,
    action: &'static str,
    permission: &'static str,
    missing: &[&str],
    secrets: &[String],
) -> Result<Answer<T>, AccountError>
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    let clean = |text: &str| redact(&one_line(text), secrets);
    match &error {
        SdkError::ServiceError(service) => {
            let code = service.err().code().unwrap_or("");
            let message = clean(service.err().message().unwrap_or(""));
            if missing.contains(&code) {
                return Ok(Answer::Missing);
            }
            match code {
                "AccessDenied" | "AccessDeniedException" | "UnauthorizedOperation" => {
                    Ok(Answer::Denied {
                        permission,
                        message: if message.is_empty() {
                            code.to_string()
                        } else {
                            message
                        },
                    })
                }
                "ExpiredToken"
                | "ExpiredTokenException"
                | "InvalidClientTokenId"
                | "UnrecognizedClientException"
                | "InvalidSignatureException"
                | "SignatureDoesNotMatch"
                | "InvalidAccessKeyId"
                | "MissingAuthenticationToken"
                | "IncompleteSignature" => Err(AccountError::Refused(format!(
                    "{action}: {code}: {message}"
                ))),
                _ => Err(AccountError::Failed {
                    action,
                    message: format!("{code}: {message}"),
                }),
            }
        }
        SdkError::TimeoutError(_) => Err(AccountError::Unreachable(format!("{action} timed out"))),
        SdkError::DispatchFailure(_) => Err(AccountError::Unreachable(format!(
            "{action}: {}",
            clean(&DisplayErrorContext(&error).to_string())
        ))),
        _ => Err(AccountError::Failed {
            action,
            message: clean(&DisplayErrorContext(&error).to_string()),
        }),
    }
}

/// The first line of a message, at most 400 characters.
fn one_line(text: &str) -> String {
    let line = text.lines().next().unwrap_or("").trim();
    match line.char_indices().nth(400) {
        Some((end, _)) => format!("{}...", &line[..end]),
        None => line.to_string(),
    }
}

/// `text` with every secret replaced.
fn redact(text: &str, secrets: &[String]) -> String {
    let mut text = text.to_string();
    for secret in secrets.iter().filter(|secret| secret.len() >= 4) {
        text = text.replace(secret.as_str(), "[redacted]");
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_lose_their_secrets_and_stay_on_one_line() {
        let secrets = vec!["AKIAEXAMPLE".to_string(), "s3cr3t/key".to_string()];
        assert_eq!(
            redact(
                &one_line("key AKIAEXAMPLE signed with s3cr3t/key\nsecond line"),
                &secrets
            ),
            "key [redacted] signed with [redacted]"
        );
        assert_eq!(one_line(&"x".repeat(500)).len(), 403);
    }
}
