"""The platform's words, defined once: codes the course format and the database use, with their Korean labels.

Plain data, importable without Flask: a label is the Korean text (Korean first); `N_` only marks it for
`pybabel extract` (a default keyword), and the web layer translates it when shown (`lms.web.label`). Item kinds
label themselves in `lms.content.kinds`.
"""

from __future__ import annotations


def N_(text: str) -> str:  # noqa: N802 - gettext's name for "mark for translation, translate later"
    return text


TRACKS = {
    "foundations": N_("AI 기초"),
    "data-analysis": N_("데이터 분석"),
    "machine-learning": N_("머신러닝"),
    "mlops": N_("MLOps"),
    "generative-ai": N_("생성형 AI"),
    "ai-x": N_("AI+X 사례"),
}
INDUSTRIES = {
    "manufacturing": N_("제조"),
    "shipbuilding": N_("조선"),
    "energy": N_("에너지"),
    "logistics": N_("물류·유통"),
    "food": N_("식품"),
    "office": N_("사무·서비스"),
    "healthcare": N_("헬스케어"),
    "cross-industry": N_("산업 공통"),
}
LEVELS = {"beginner": N_("입문"), "intermediate": N_("중급"), "advanced": N_("고급")}
# Learner types: who a course is for (a manifest's `audience`) and who a learner is (their profile).
AUDIENCES = {
    "sme": N_("중소기업 재직자"),
    "startup": N_("벤처·스타트업"),
    "student": N_("대학생"),
    "other": N_("기타"),
}
ROLES = {
    "learner": N_("학습자"),
    "instructor": N_("강사"),
    "org_manager": N_("기관 담당자"),
    "admin": N_("관리자"),
}
LANGUAGES = ("ko", "en")
# A notebook submission's state while it is run or graded (`submission.status`); the pending ones may be retried.
SUBMISSION_STATUSES = {
    "queued": N_("채점 중"),
    "running": N_("채점 중"),
    "done": N_("채점 완료"),
    "error": N_("오류"),
}
PENDING_STATUSES = ("queued", "running")

# Defaults of the thresholds a course's data may set (documented in courses/README.md): an item's pass mark
# (`pass_score` of a quiz, `baeum.pass_score` of a notebook) and the course's completion rule (`completion:`).
DEFAULT_PASS_SCORE = 60
DEFAULT_MIN_PROGRESS = 80
DEFAULT_MIN_SCORE = 60
