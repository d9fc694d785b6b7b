"""Reconciling with people who are gone (deactivated): a step handed over to one of them goes
back to its position's holder, while a step handed to anyone else stays where it is."""

from __future__ import annotations

import datetime as dt

from sopbot.engine.instance import DispositionState
from sopbot.engine.organization import Assignee
from sopbot.engine.procedure import Procedure
from tests.helpers.agencies import seed_library
from tests.helpers.org import Org

SOP = "kesbangpol-pekalongan/pengumpulan-pengolahan-data-kinerja"
T0 = dt.datetime(2026, 7, 1, 1, 0, tzinfo=dt.UTC)
KABAN, SEKRETARIS, HELPER, OTHER = 1, 2, 88, 89  # the Sekretaris hands work to the helper


def at(minutes: int) -> dt.datetime:
    return T0 + dt.timedelta(minutes=minutes)


def test_a_step_handed_to_someone_gone_goes_back_to_the_position() -> None:
    org = Org()
    org.appoint(KABAN, org.position("kepala_dinas"))
    org.appoint(SEKRETARIS, org.position("sekretaris"))
    procedure = Procedure.start(
        seed_library().definitions[SOP],
        agency_id=1,
        title="Data Kinerja",
        starter_id=KABAN,
        note=None,
        at=T0,
        routing=org.routing(T0),
    )
    (first,) = procedure.instance.live_dispositions(KABAN)
    procedure.complete(first.id, KABAN, at=T0, routing=org.routing(T0))
    (step_2,) = procedure.instance.live_dispositions(SEKRETARIS)
    handed = procedure.hand_over(
        step_2.id, SEKRETARIS, Assignee(HELPER, 0), reason="Dinas luar", at=at(1)
    )
    # Someone else is gone: the handed-over step stays with the helper.
    procedure.reconcile(at=at(2), routing=org.routing(at(2)), gone=frozenset({OTHER}))
    assert procedure.instance.disposition(handed.id).state is DispositionState.PENDING
    # The helper is gone: the step goes back to the Sekretaris, its position's holder.
    procedure.reconcile(at=at(3), routing=org.routing(at(3)), gone=frozenset({HELPER}))
    assert procedure.instance.disposition(handed.id).state is DispositionState.REROUTED
    (back,) = procedure.instance.live_dispositions(SEKRETARIS)
    assert back.handed_from_id == handed.id
    assert not back.manual
