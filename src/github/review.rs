//! `--suggest`: one pull-request review whose comments carry GitHub suggestions, through
//! GitHub's REST API (octocrab), with the client, retries and identity the comment uses
//! ([`super::client`]). The pull request's review comments are read page by page (every
//! page); suggestions this token's account posted already are left out ([`post_new`]);
//! a review is posted only when one is new. Nothing is edited or deleted, ours or
//! anyone's. A read-only token (403), an outage and a review GitHub does not accept (422)
//! are outcomes, never a failure of the lint. The token never appears in any message.

use serde::Deserialize;

use super::client::{CommentError, Ended, Failure, Retry, Target, failed, page, session};
use super::dedupe::{ReviewComment, ReviewsApi, post_new};
use super::suggestion::Suggestion;

#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    Posted {
        review: u64,
        posted: usize,
        /// Suggestions left out as they are on the pull request already.
        already: usize,
    },
    /// Every suggestion is on the pull request already: no review posted.
    AlreadyThere { count: usize },
    /// The token may not review (a pull request from a fork gets a read-only token):
    /// GitHub's message.
    Forbidden { message: String },
    /// GitHub did not answer well after retries: what happened.
    Unavailable { message: String },
    /// GitHub did not accept the review (422: a line it does not take a comment on):
    /// GitHub's message, with its reasons.
    Rejected { message: String },
}

#[derive(Deserialize)]
struct ApiReviewComment {
    body: Option<String>,
    user: Option<ApiUser>,
}

#[derive(Deserialize)]
struct ApiUser {
    login: String,
}

#[derive(Deserialize)]
struct ApiReview {
    id: u64,
}

/// Posts one review of the pull request's head commit `head` (a `COMMENT`: it neither
/// approves nor blocks) with `body` and the suggestions not posted before.
pub fn post(
    target: &Target,
    head: &str,
    body: &str,
    suggestions: &[Suggestion],
    retry: Retry,
) -> Result<Outcome, CommentError> {
    let ended = session(
        target,
        retry,
        "--suggest",
        async |client: &octocrab::Octocrab, logins: &[String]| {
            let api = Octocrab {
                client,
                target,
                head,
            };
            post_new(&api, logins, body, suggestions).await
        },
    );
    match ended {
        Ok(posted) => Ok(match posted.review {
            Some(review) => Outcome::Posted {
                review,
                posted: posted.posted,
                already: posted.already,
            },
            None => Outcome::AlreadyThere {
                count: posted.already,
            },
        }),
        Err(Ended::Forbidden(message)) => Ok(Outcome::Forbidden { message }),
        Err(Ended::Unavailable(message)) => Ok(Outcome::Unavailable { message }),
        Err(Ended::Failed(CommentError::Api {
            status: 422,
            message,
            ..
        })) => Ok(Outcome::Rejected { message }),
        Err(Ended::Failed(error)) => Err(error),
    }
}

/// A review comment as GitHub's API takes it: on the new side (`RIGHT`) of the diff, at
/// `line`, from `start_line` when it covers several.
fn comment_json(suggestion: &Suggestion) -> serde_json::Value {
    let mut comment = serde_json::json!({
        "path": suggestion.path,
        "body": suggestion.body,
        "line": suggestion.last,
        "side": "RIGHT",
    });
    if suggestion.first < suggestion.last {
        comment["start_line"] = suggestion.first.into();
        comment["start_side"] = "RIGHT".into();
    }
    comment
}

/// GitHub's pull-request review API through octocrab, for [`post_new`].
struct Octocrab<'a> {
    client: &'a octocrab::Octocrab,
    target: &'a Target,
    head: &'a str,
}

impl ReviewsApi for Octocrab<'_> {
    type Error = Failure;
    type Cursor = octocrab::Page<ApiReviewComment>;

    async fn page(
        &self,
        cursor: Option<Self::Cursor>,
    ) -> Result<(Vec<ReviewComment>, Option<Self::Cursor>), Failure> {
        let (owner, repository, number) = (
            &self.target.owner,
            &self.target.repository,
            self.target.number,
        );
        let route = format!("/repos/{owner}/{repository}/pulls/{number}/comments");
        let (items, next) = page(
            self.client,
            route,
            cursor,
            "listing the pull request's review comments",
        )
        .await?;
        let comments = items
            .into_iter()
            .map(|comment| ReviewComment {
                body: comment.body.unwrap_or_default(),
                author: comment.user.map(|user| user.login),
            })
            .collect();
        Ok((comments, next))
    }

    async fn post(&self, body: &str, suggestions: &[&Suggestion]) -> Result<u64, Failure> {
        let (owner, repository, number) = (
            &self.target.owner,
            &self.target.repository,
            self.target.number,
        );
        let comments: Vec<serde_json::Value> = suggestions
            .iter()
            .map(|suggestion| comment_json(suggestion))
            .collect();
        let review = self
            .client
            .post::<_, ApiReview>(
                format!("/repos/{owner}/{repository}/pulls/{number}/reviews"),
                Some(&serde_json::json!({
                    "commit_id": self.head,
                    "event": "COMMENT",
                    "body": body,
                    "comments": comments,
                })),
            )
            .await
            .map_err(failed("posting the review"))?;
        Ok(review.id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_comment_over_several_lines_says_where_it_starts() {
        let mut suggestion = Suggestion {
            path: "infra/values.yaml".into(),
            first: 4,
            last: 4,
            body: "b".into(),
            key: "k".into(),
        };
        assert_eq!(
            comment_json(&suggestion),
            serde_json::json!({"path": "infra/values.yaml", "body": "b", "line": 4, "side": "RIGHT"})
        );
        suggestion.first = 2;
        assert_eq!(
            comment_json(&suggestion),
            serde_json::json!({"path": "infra/values.yaml", "body": "b", "line": 4, "side": "RIGHT", "start_line": 2, "start_side": "RIGHT"})
        );
    }
}
