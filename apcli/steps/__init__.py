"""What changes a case: the referral, meetings and decisions, placements and their changes, attendance
import, reviews, ending, editing, providers. Each step runs through `workflow.change_case`: load under the
case's lock, apply, gate by the policy, record the history entry, save."""
