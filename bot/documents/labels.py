"""The words the documents print for dispositions and statuses, each defined once.

These are the official wording of the printed agenda and results notice (and of the answer
sheet's dropdown, which staff fill in and the import reads back), so they are fixed here
rather than in the chat catalogs, whose sentences for residents may read differently.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from enum import StrEnum
from types import MappingProxyType

from bot.domain.textnorm import label_key
from bot.domain.vocabulary import Disposition

# How an item was dealt with at the meeting -> the label in the sheet's dropdown and the notice.
DISPOSITION_LABELS: Mapping[Disposition, str] = MappingProxyType(
    {
        Disposition.ANSWERED: "Đã trả lời tại hội nghị",
        Disposition.EXPLAINED: "Lãnh đạo phường giải thích",
        Disposition.FORWARDED: "Chuyển cơ quan chức năng",
        Disposition.NOT_ACCEPTED: "Không tiếp nhận",
    }
)


def disposition_from_label(value: str | None) -> Disposition | None:
    """The disposition for a label (or a key) typed in the sheet; None if not one.

    Read as a typed button label is (bot.domain.textnorm.label_key): case, accents, spaces
    and punctuation do not matter, so "Khong tiep nhan" is "Không tiếp nhận".
    """
    if value is None:
        return None
    wanted = label_key(str(value))
    if not wanted:
        return None
    for disposition, label in DISPOSITION_LABELS.items():
        if wanted in (label_key(disposition.value), label_key(label)):
            return disposition
    return None


class ResultStatus(StrEnum):
    """Where an item stands in the results; the value is the label the documents print.

    Items dealt with at the meeting are simply answered; forwarded items go through the
    follow-up the chair promised, and the notice must say where each one stands.
    """

    ANSWERED = "Đã trả lời"
    NOT_ACCEPTED = "Không tiếp nhận"
    WAITING = "Đang chờ cơ quan trả lời"
    FINAL_ON_TIME = "Cơ quan đã trả lời đúng hạn"
    FINAL_LATE = "Cơ quan đã trả lời nhưng quá hạn"
    OVERDUE = "Quá hạn, chưa có trả lời"


# The states of a forwarded item, in the order the results summary lists them.
FORWARD_STATES: tuple[ResultStatus, ...] = (
    ResultStatus.FINAL_ON_TIME,
    ResultStatus.FINAL_LATE,
    ResultStatus.WAITING,
    ResultStatus.OVERDUE,
)


def result_status(disposition: str, *, due_date: date | None, final_at: date | None, today: date) -> ResultStatus:
    """The standard status of an item (a final answer on the due day is on time)."""
    if disposition == Disposition.NOT_ACCEPTED:
        return ResultStatus.NOT_ACCEPTED
    if disposition != Disposition.FORWARDED:
        return ResultStatus.ANSWERED
    if final_at is not None:
        late = due_date is not None and final_at > due_date
        return ResultStatus.FINAL_LATE if late else ResultStatus.FINAL_ON_TIME
    if due_date is not None and today > due_date:
        return ResultStatus.OVERDUE
    return ResultStatus.WAITING
