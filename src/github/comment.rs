//! The sticky pull-request comment (`--comment`), through GitHub's REST API (octocrab).
//!
//! One comment per pull request and key: the pull request's comments are read page by
//! page (every page when ours is not there); the one that carries dynalint's marker and
//! key *and was written by this token's own account* is updated (never someone else's),
//! otherwise one is created. Transient
//! failures (5xx, rate limits, a dropped connection) are retried with backoff; a 403 that
//! is not a rate limit (a fork's read-only token) is an outcome, not an error. The token
//! never appears in any message.

use serde::Deserialize;

pub use super::client::{CommentError, Retry, Target};
use super::client::{Ended, Failure, failed, page, session};
use super::sticky::{Comment, CommentsApi, upsert};

#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    Created {
        id: u64,
    },
    Updated {
        id: u64,
    },
    /// The comment already says exactly this.
    Unchanged {
        id: u64,
    },
    /// Nothing to report and no comment yet: none is written.
    NotNeeded,
    /// The token may not write comments (a pull request from a fork gets a read-only
    /// token): GitHub's message.
    Forbidden {
        message: String,
    },
    /// GitHub did not answer well after retries (an outage, an exhausted rate limit,
    /// a timeout): what happened.
    Unavailable {
        message: String,
    },
}

#[derive(Deserialize)]
struct ApiComment {
    id: u64,
    body: Option<String>,
    user: Option<ApiUser>,
}

#[derive(Deserialize)]
struct ApiUser {
    login: String,
}

/// Create or update the comment with `body` (which carries the marker and
/// `key_marker`). With `needed` false, an existing comment is still updated (to say all
/// is clear) but none is created.
pub fn publish(
    target: &Target,
    key_marker: &str,
    body: &str,
    needed: bool,
    retry: Retry,
) -> Result<Outcome, CommentError> {
    let ended = session(
        target,
        retry,
        "--comment",
        async |client: &octocrab::Octocrab, logins: &[String]| {
            let api = Octocrab { client, target };
            upsert(&api, logins, key_marker, body, needed).await
        },
    );
    match ended {
        Ok(outcome) => Ok(outcome),
        Err(Ended::Forbidden(message)) => Ok(Outcome::Forbidden { message }),
        Err(Ended::Unavailable(message)) => Ok(Outcome::Unavailable { message }),
        Err(Ended::Failed(error)) => Err(error),
    }
}

/// GitHub's issue-comments API through octocrab, for [`upsert`].
struct Octocrab<'a> {
    client: &'a octocrab::Octocrab,
    target: &'a Target,
}

impl CommentsApi for Octocrab<'_> {
    type Error = Failure;
    type Cursor = octocrab::Page<ApiComment>;

    async fn page(
        &self,
        cursor: Option<Self::Cursor>,
    ) -> Result<(Vec<Comment>, Option<Self::Cursor>), Failure> {
        let (owner, repository, number) = (
            &self.target.owner,
            &self.target.repository,
            self.target.number,
        );
        let route = format!("/repos/{owner}/{repository}/issues/{number}/comments");
        let (items, next) = page(
            self.client,
            route,
            cursor,
            "listing the pull request's comments",
        )
        .await?;
        let comments = items
            .into_iter()
            .map(|comment| Comment {
                id: comment.id,
                body: comment.body.unwrap_or_default(),
                author: comment.user.map(|user| user.login),
            })
            .collect();
        Ok((comments, next))
    }

    async fn update(&self, id: u64, body: &str) -> Result<(), Failure> {
        let (owner, repository) = (&self.target.owner, &self.target.repository);
        self.client
            .patch::<ApiComment, _, _>(
                format!("/repos/{owner}/{repository}/issues/comments/{id}"),
                Some(&serde_json::json!({ "body": body })),
            )
            .await
            .map_err(failed("updating the comment"))?;
        Ok(())
    }

    async fn create(&self, body: &str) -> Result<u64, Failure> {
        let (owner, repository, number) = (
            &self.target.owner,
            &self.target.repository,
            self.target.number,
        );
        let created = self
            .client
            .post::<_, ApiComment>(
                format!("/repos/{owner}/{repository}/issues/{number}/comments"),
                Some(&serde_json::json!({ "body": body })),
            )
            .await
            .map_err(failed("creating the comment"))?;
        Ok(created.id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_token_is_never_shown() {
        let target = Target {
            api_url: "https://api.github.com".into(),
            owner: "o".into(),
            repository: "r".into(),
            number: 1,
            token: "ghs_secret".into(),
        };
        assert!(!format!("{target:?}").contains("ghs_secret"));
    }
}
