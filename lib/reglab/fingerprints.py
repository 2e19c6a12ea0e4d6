"""Fingerprints of the expected values and named wrong values that the visible checks compare with.

A visible check decides correctness without showing the expected value (:mod:`reglab.checks`, "How to write a
question"): where the answer is a value, it compares with a tolerance-aware hash of that value, and a wrong value that
reveals a known mistake is recognized by its hash too. The hashes live here, out of the check cells, which read them
with ``checks.expected(name)`` and ``checks.mistakes(name)`` for the session the setup cell started.

``FINGERPRINTS[session id][name] = (expected value's fingerprint or None, {misconception key: fingerprint})``;
``name`` is the check's grade id (``"q1"``), or ``"<grade id>:<label>"`` for a further check in the same cell.
Make a string with ``checks.fingerprint(value, tol=...)``; a misconception key must be declared for the question in
:mod:`reglab.course` (``tests/test_checks.py`` keeps this table and the notebooks in step).
"""

from __future__ import annotations

from types import MappingProxyType

_TABLE = {
    "00_overfitting": {
    },
    "01_l2_weight_decay": {
    },
    "02_l1_lasso": {
    },
    "03_early_stopping": {
    },
    "04_bagging": {
    },
    "05_dropout": {
    },
    "06_capstone": {
        "q4a": (
            (
                    "fp2:n:af9422e5:1e-06:6:f61b2d73898d.9d03c7cc6131,f3427b6695a6.a86447908115,124732e71348.df95da"
                    "8db3b1,84427ab5c1de.cb2640ce3f98,39fe17897c7f.91f84bf4c964,cb6a0c6d8cc0.605eea2c5421"
                ),
            {
                "training-loss": (
                    "fp2:n:7acf0ead:1e-06:6:9f5444a61d25.d12038fb2e13,d1b16dcd36ca.d07e2cbd3ade,5e24358d74a4.66abb0"
                    "ebd46c,57df6b8c4392.5d960249d8ac,087f2c55d2e5.8ffe4ab92447,bf000890085d.48e685b893b8"
                ),
                "test-loss": (
                    "fp2:n:5d6b0ad7:1e-06:6:cac00b210712.102d1a2998a7,3668a81edb70.cf5c79e2845f,71d4bdeb2a02.713928"
                    "ef9ea7,932f2cfaf9a6.badbd1dcbcda,85522c72bf5b.793aba02a220,5e8a438672cc.970b86a6c3ba"
                ),
            },
        ),
        "q4b": (
            "fp2:n:6eba97e1:0.001:s:19b2f71b2a3d.cc36b88b805a",
            {
                "tuned-on-test": "fp2:n:e7ccfc19:0.001:s:d5cc5b6e1301.d05920fcf6ad",
                "chose-by-training-loss": "fp2:n:95e5fa43:0.001:s:ebd1c6cd531f.4cfd3c50d9cf",
            },
        ),
        "q4c": (
            "fp2:n:1e5f14fb:1e-06:s:4e8a3482244c.ff8527b9dd01",
            {
                "best-test-loss": "fp2:n:d94954de:1e-06:s:2e07c5ff98bb.c857ebaac7a1",
                "reported-validation-loss": "fp2:n:0b35dd52:1e-06:s:288c69992f55.c473aaad0a05",
            },
        ),
        "q4d": (
            "fp2:n:9c6aaa0c:1e-06:s:642452ebac3a.f8d1314c0c88",
            {
                "averaged-losses": "fp2:n:05c71cbd:1e-06:s:1bca1962fe2b.ea9f20b33473",
            },
        ),
    },
}

#: Read-only: ``FINGERPRINTS[session id][name] -> (expected or None, {misconception key: fingerprint})``.
FINGERPRINTS = MappingProxyType({
    sid: MappingProxyType({name: (exp, MappingProxyType(dict(mis))) for name, (exp, mis) in entries.items()})
    for sid, entries in _TABLE.items()
})
del _TABLE
