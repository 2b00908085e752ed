"""Jury models. Importing this package registers their tables on the shared metadata."""
from reviewers.models.assignments import (Assignment, AssignmentMethod, AssignmentStatus, Decision,
                                          DiscussionMessage, Review, Score)
from reviewers.models.juries import Affiliation, AffiliationKind, Invitation, JurorProfile, PoolMember
from reviewers.models.rounds import AdvanceRule, RevealReviews, Round
from reviewers.models.rubrics import Criterion, Rubric

__all__ = [
    "AdvanceRule", "Affiliation", "AffiliationKind", "Assignment", "AssignmentMethod", "AssignmentStatus", "Criterion",
    "Decision", "DiscussionMessage", "Invitation", "JurorProfile", "PoolMember", "RevealReviews", "Review", "Round",
    "Rubric", "Score",
]
