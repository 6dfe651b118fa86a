//! Kill with an outcome: create a kill task, then wait for its result, one task per node when the
//! service splits the kill by node (a PolarDB for MySQL cluster killed with no `NodeId` and
//! `KillAllSessions` true).

use dbops_core::{Error, WaitPolicy};

use crate::das::{CreateKillInstanceSessionTaskInput, DasClient, types};

/// Most task ids one kill may start (one per node of a PolarDB cluster, which has far fewer): a reply
/// with more is not waited on, so a broken or hostile reply cannot make the call wait without end.
pub const MAX_TASKS: usize = 64;

/// The outcome of one kill task: its final state, counts, and one result per session with its `Reason`
/// (`SESSION_KILLED`, `SESSION_IGNORED_USER`, `SESSION_NO_PERMISSION`, …).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct KillOutcome {
    /// The task id `CreateKillInstanceSessionTask` returned.
    pub task_id: String,
    /// The task's final result (`TaskState` SUCCESS, FAILURE or ERROR).
    pub result: types::KillTaskResultData,
}

impl KillOutcome {
    /// The task's final state.
    pub fn state(&self) -> Option<&str> {
        self.result.task_state.as_deref()
    }

    /// The per-session results.
    pub fn sessions(&self) -> &[types::KillTaskSessionResult] {
        &self.result.result
    }
}

/// The kill tasks one `CreateKillInstanceSessionTask` started: from here on the kill has been sent,
/// whatever happens to the calls that learn its outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct KillTasks {
    /// The instance the kill was sent for.
    pub instance_id: String,
    /// The PolarDB node it named, if any.
    pub node_id: Option<String>,
    /// One task id, or one per node of a PolarDB cluster.
    pub task_ids: Vec<String>,
}

impl DasClient {
    /// Creates a kill task with `input` (`CreateKillInstanceSessionTask`), then waits for the result of
    /// each task it started (`GetKillInstanceSessionTaskResult`, as `policy` says) and returns one
    /// outcome per task, in the order the service listed them. A failed call ends it with its error;
    /// a task still running at the deadline is [`Error::NotDone`] with its last state. The policy's
    /// timeout is one deadline for the whole kill, from its start, however many tasks it waits on.
    ///
    /// A caller that must tell "nothing was sent" from "sent, outcome unknown" (an audit log, say)
    /// makes the two steps itself: [`DasClient::start_kill_sessions`], then
    /// [`DasClient::kill_outcomes`].
    pub async fn kill_sessions(
        &self,
        input: CreateKillInstanceSessionTaskInput,
        policy: WaitPolicy,
    ) -> Result<Vec<KillOutcome>, Error> {
        let deadline = std::time::Instant::now() + policy.timeout;
        let tasks = self.start_kill_sessions(input).await?;
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        self.kill_outcomes(&tasks, policy.timeout(left)).await
    }

    /// The first step of [`DasClient::kill_sessions`]: creates the kill task and reads the task ids
    /// from its reply. An error here means the service did not accept the kill (or its reply was
    /// unreadable).
    pub async fn start_kill_sessions(&self, input: CreateKillInstanceSessionTaskInput) -> Result<KillTasks, Error> {
        let instance_id = input.instance_id.clone().unwrap_or_default();
        let node_id = input.node_id.clone().filter(|n| !n.is_empty());
        let created = self.create_kill_instance_session_task().input(input).send().await?;
        let task_ids = task_ids(created.data.as_ref());
        if task_ids.is_empty() || task_ids.len() > MAX_TASKS {
            return Err(Error::Decode {
                status: Some(200),
                message: format!(
                    "the kill task reply carries {} task ids (one to {MAX_TASKS} expected, one per node)",
                    task_ids.len()
                ),
            });
        }
        Ok(KillTasks {
            instance_id,
            node_id,
            task_ids,
        })
    }

    /// The second step of [`DasClient::kill_sessions`]: waits for each task's result, within one
    /// deadline (`policy`'s timeout) for them all.
    pub async fn kill_outcomes(&self, tasks: &KillTasks, policy: WaitPolicy) -> Result<Vec<KillOutcome>, Error> {
        let deadline = std::time::Instant::now() + policy.timeout;
        let mut outcomes = Vec::with_capacity(tasks.task_ids.len());
        for task_id in &tasks.task_ids {
            let mut query = self
                .get_kill_instance_session_task_result()
                .instance_id(&tasks.instance_id)
                .task_id(task_id);
            if let Some(node) = &tasks.node_id {
                query = query.node_id(node);
            }
            // What is left of the one deadline (at its end: one last call, then `NotDone`).
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            let reply = query.wait(policy.clone().timeout(left)).await?;
            outcomes.push(KillOutcome {
                task_id: task_id.clone(),
                result: reply.data.unwrap_or_default(),
            });
        }
        Ok(outcomes)
    }
}

/// The task ids a kill task reply's `Data` carries: one id, a list of ids, or (as some service
/// versions send it) a list as JSON-array text.
pub fn task_ids(data: Option<&types::KillTaskData>) -> Vec<String> {
    match data {
        Some(types::KillTaskData::Array(ids)) => ids.clone(),
        Some(types::KillTaskData::String(text)) if text.trim_start().starts_with('[') => {
            serde_json::from_str(text).unwrap_or_default()
        }
        Some(types::KillTaskData::String(id)) if !id.is_empty() => vec![id.clone()],
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn task_ids_come_as_one_id_a_list_or_list_text() {
        let one = types::KillTaskData::String("f77d".into());
        let list = types::KillTaskData::Array(vec!["a".into(), "b".into()]);
        let text = types::KillTaskData::String(r#"["a", "b"]"#.into());
        assert_eq!(task_ids(Some(&one)), ["f77d"]);
        assert_eq!(task_ids(Some(&list)), ["a", "b"]);
        assert_eq!(task_ids(Some(&text)), ["a", "b"]);
        assert!(task_ids(Some(&types::KillTaskData::String(String::new()))).is_empty());
        assert!(task_ids(None).is_empty());
    }
}
