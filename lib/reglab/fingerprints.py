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
        "q1a": (
            "fp2:c:cb106986:c68f1694902f63023f0360df",
            {
                "read-backwards": "fp2:c:bd56dfdf:d5f7ad30e15914ff56c7537c",
            },
        ),
        "q1b": (
            "fp2:c:f4f895eb:f6f137eb03e20cc7a2663738",
            {
                "high-val-means-overfitting": "fp2:c:22befd3d:7458c2c329d720cc88b22b34",
            },
        ),
        "q2a": (
            "fp2:n:bb5a8e54:1e-09:s:7786cb03efc7.4f02adc626ae",
            {
                "lambda-unchanged": "fp2:n:f0e886d0:1e-09:s:fca4714dc309.9e764513eb23",
                "multiplied-by-n": "fp2:n:17c78f88:1e-09:s:a6c7c2a7f891.0bb5fada0cae",
            },
        ),
        "q2b": (
            "fp2:n:dd045f0c:1e-09:s:9f678d1c0e75.819e16d5f7a7",
            {
                "forgot-factor-2": "fp2:n:4506a742:1e-09:s:e0e47539ce81.4d73f6d8be67",
                "halved": "fp2:n:7aa4f62f:1e-09:s:4e6c16ba099f.7738331167a7",
                "lambda-unchanged": "fp2:n:ef6ba740:1e-09:s:5ba604ad3ee2.d2f31724dd85",
            },
        ),
        "q3a": (
            (
                    "fp2:n:659756d8:1e-09:15:5fbff05c73c9.ceef378468c0,17f94ee1cc17.811277eb36dd,3015bcd0a263.cedb8"
                    "e5d0e2f,40d8c51f655e.a933d63a099a,2df0b99efb59.9a02de208e62,0cd8a7d32f74.e7b94be03d2e,f90d8c05"
                    "f7a8.1cfe1f6d9f3b,e8b78267f0b8.c27b262bf784,3ba5b2666b5b.dffb47c69d6a,f2385b153f82.04231d6cec5"
                    "7,b13faf984f0a.c4a1a5c484b2,55d097475e4a.5d3ac1c89fab,128d1cfde680.7453f834d150,ed8c07c66487.3"
                    "23969424721,e3adcc3bce51.3cdc9afbb4d7"
                ),
            {
                "eps-over-k": (
                    "fp2:n:2a1d37e1:1e-09:15:09745ccf116b.d45c2f3ef466,3abfe2498cff.57eec6cd9b0a,6b8339b0a0ce.ca009"
                    "4d368da,de74962544c3.9ca83f22ac77,aa515e281595.d38b10b1d1aa,4b1733cb8532.c5606d53f587,10cac30d"
                    "9926.19c4648240f6,a9811be798bc.2ab1bc79ff72,0c1ebfcce31f.64592e3cfdd5,0eb42dd33879.627f89ee79c"
                    "4,a105287a5296.393d2dc88e5b,7c3cb6c687de.7bf8394c76b6,86b96ed9aa07.8bb7c7f1f40a,b46461f8813e.b"
                    "dcdc387398e,cf628c9cd491.85ddb3a86346"
                ),
            },
        ),
        "q3b": (
            (
                    "fp2:n:837f486d:1e-09:5:4ef0a13ab453.3a63c3753567,5c2918552642.c8c95039efa6,daea1fb2bcc7.e6f51c"
                    "78f6a4,2552b2a24321.ed60c2e2348d,5cb41bdc9228.23bde15fa4a7"
                ),
            {
                "eps-over-k-everywhere": (
                    "fp2:n:1a28c307:1e-09:5:e37ea94d7510.d7ce8e5027b8,555b2b2a41a0.2619f9fbd3f1,aec194370cb5.262c5f"
                    "929aae,63da5cc396d8.47b31bbdb932,e6de5645b5fe.9590852348f5"
                ),
                "one-hot-kept": (
                    "fp2:n:653bcd35:1e-09:5:9fc80896a052.f8f4ccdbda6c,1e5e6d9d5ea4.5a3f708b85a4,3dbec3c7d2d0.cb4b73"
                    "dca815,381ce00d0cea.e40c39b49100,f19414784fac.c0e6960e1d49"
                ),
            },
        ),
        "quiz1": (
            "fp2:c:538007c3:e3167ceeaa34b1e328fd00f8",
            {
                "for-speed": "fp2:c:9bdf6f6a:b53e6c8f86018fc8f8bee6af",
                "pruning": "fp2:c:44113396:4eaf8db793c5453932007737",
            },
        ),
        "quiz2": (
            "fp2:c:f0b0479d:97655c2df476ebba42c55d7e",
            {
                "raises-training-accuracy": "fp2:c:9706d4c0:9342d345b6edebde4bcea0be",
            },
        ),
        "quiz3": (
            "fp2:c:3135bd26:f0937f38ebba6c2ee2ba897d",
            {
                "l2-for-absolute": "fp2:c:f674b64b:307dd69a0796be3c4aa96ec9",
            },
        ),
        "quiz4": (
            "fp2:c:28f613ad:34f04f6c2e1d7dc9322b6e3b",
            {
                "dropout-at-test-time": "fp2:c:64638518:eabc9486f62c5946d1d89c44",
            },
        ),
        "quiz5": (
            "fp2:c:0b5d2219:a1ac979ce1994a72657fdfbf",
            {
                "stop-on-training-loss": "fp2:c:fe119dfd:32a381da33585031c338685a",
            },
        ),
        "quiz6": (
            "fp2:c:88a26e90:2622f754ff3741a7ccf8e3ea",
            {
                "lambda-is-learning-rate": "fp2:c:4c3270a9:bfc5d7cf24afb5d29d7e983a",
            },
        ),
        "quiz7": (
            "fp2:c:9094dc60:cab5d66c71db07965ee231b1",
            {
                "fresh-mask-per-step": "fp2:c:5204b46a:f0f455e9bebf6eefc81c35b2",
                "per-sequence-is-per-step": "fp2:c:a864a28c:41232bd42b42d234fdd8c514",
                "update-mask-on-memory": "fp2:c:32279205:7a59e827e299b05a3eda03c1",
            },
        ),
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
        "q5a": (
            None,
            {
                "factor-2": (
                    "fp2:n:81aae2c0:1e-06:20:d9fa4f67aea7.a94e009fa94d,8bdf9eb50fdd.033c5ae3e1fd,20ee3ebfbbc9.1ed3c"
                    "52caf7b,9d8abc176421.8dfc4064a8f7,c7520496c4f3.17df2e14c651,b43eb57108a1.4adcf051e3ff,5520986c"
                    "a2f9.35447ff2784c,9ae0da188865.692606615f5f,1af661293ee4.0074cf12795b,1c876c555796.af4f99e2a3c"
                    "5,e2ec331ecaf9.2de6bcbd0035,62f7bec5c1a2.9d09933d0e04,ddc90b634427.a04cee345c04,18acdecf25fc.3"
                    "f0571d16cfb,b28f50afd09a.6c84b604eb4d,06b0ab6ddae2.ea32cdd90d29,0f2bd30ba13c.1fccb0144b6a,3883"
                    "5a9bb576.3120e1c3afca,ba946b7df68f.e55f1cf88d2d,4329b6652d0a.3e5b29340084"
                ),
                "lambda-missing": (
                    "fp2:n:7ec9ac6b:1e-06:20:daef3cc23d0f.5edc0749ec0e,8a063719a634.d5bbc468dd77,29f036368843.7ebd4"
                    "59a783e,57506ef52c8f.b05eec3967a5,89a1b887b3e5.b8463c7eba87,95e5653ffd90.879df0ff2855,aed25ee7"
                    "050f.84db9897ba47,d1f2ed22d12b.1cc833b1bc17,4dcd8ad081fe.87d89df8c1c8,218a66a04fd9.0a16672d393"
                    "d,8e27b339ceed.aaedc33ffb65,a0e66b20a82e.9e8f28843c44,447c1954aa03.9959229a609e,4230e4653cd2.a"
                    "b8f366fcb23,4f438c3a1c7e.eea4cbc85741,fef8d84a8711.354bf225fec2,4cec2f161cc4.9add79b4f6c4,d8bc"
                    "377b86f9.ce1707a8ccdb,78434136438e.e028e8b2b369,276dd9e11599.4a7208a94e44"
                ),
            },
        ),
        "q5b": (
            None,
            {
                "biases-penalized": (
                    "fp2:n:522b014c:1e-06:6:ba91a9af44bd.71d51c8f2b1b,d90f0ea9ceef.4fc8a9035c58,df580679a998.39cef9"
                    "f32fa9,438b27338a57.14105f2626bf,7271d05961cd.02cd8a01a09e,40529ca680fd.6c7f3ea69afe"
                ),
            },
        ),
        "q6a": (
            (
                    "fp2:n:cd55930d:1e-09:3x3:9d91d60d535e.8a79a719985f,1c827b148615.f06aa407a79e,67f79f43cfbb.9311"
                    "26f66233,364d4f2873df.22b176d3ff84,26ca4414d45b.ddf51a2de1b1,84d55c670ef5.4bf2ded66b76,8bfe9c5"
                    "cd152.5e06539f710d,3264df3c570e.8e4ec74de8c0,3eff09748de3.61101a2b8bad"
                ),
            {
                "subgradient-step": (
                    "fp2:n:26801ae5:1e-09:3x3:90815ea357a3.aa71357d8923,3ee17930cc2c.81fbf8803250,52199c4c9fc5.4fab"
                    "ba532ef8,33da6833db7d.ec46d3dbdbaf,4656f8dea3ce.720275f538aa,4cff74d4a3fc.5a086505c76d,91c9c9d"
                    "127b6.0e99c77e58c7,32e21da67c98.663e27f9d726,b0e61642a6ba.e889fb00f21b"
                ),
                "no-max": (
                    "fp2:n:d350dfed:1e-09:3x3:bdc323c6d5d7.4f4eb475ee36,b3e53e1ff71a.ec561876f987,eb74fbb4f3f8.e0e1"
                    "e07c7db8,edec1ba6d79b.426a5bbfc585,157f3fd60fe4.af958870a4d0,4cf5e9a8c184.5e6d28010a42,c66a367"
                    "9de5b.31738b991253,848f3da287d0.1ab7b5a408fb,6343bfce9e1e.e30ef09cbcda"
                ),
                "no-sign": (
                    "fp2:n:74d5246a:1e-09:3x3:9e0378cdc15f.a7aacd19febd,a6c559591e46.4afc6a626224,ed46a9f7a9f0.85ab"
                    "199e2ecc,2cc2c9c1cd33.f6b973755964,bfe18a92c9bc.cb5a997bb155,fe6d60fba620.68f781197e12,1fc2f24"
                    "a28bf.8c080c2fa8a6,173fa21a7204.df55553b234c,c1f6f7c555c5.581de7552700"
                ),
                "threshold-without-step": (
                    "fp2:n:223cc7dc:1e-09:3x3:6b7cfbb5318d.43c3d764251a,e8986289efeb.102195179604,29e1e5461a8d.de06"
                    "e28ae30b,f56bea2d8df1.6123cca7bb41,152844828e82.8cce46de21ae,ba46780df493.763bce64ccea,82783c5"
                    "31095.565bddb240ce,29663f768c07.ed2f0b06e98b,49b0718e0a2c.c7b5b3f1b1a7"
                ),
            },
        ),
        "q6b": (
            "fp2:n:eac22ed4:0.1:s:24fae2dd62aa.91075183dbbe",
            {
                "subgradient-step": "fp2:n:45ae4b4c:0.1:s:06416e0c69cf.8ae7dc7bbe5c",
            },
        ),
        "q7a": (
            "fp2:n:3ade9d67:0.02:2:077842520cf3.0e5c91c550e5,ef3bce1bcba6.e19c24fba8b6",
            {
                "scaled-by-p": "fp2:n:30df0de2:0.02:2:7c12f7a3c4b3.09053fb929ae,ba972a160ab9.3eba9de4d504",
                "not-rescaled": "fp2:n:3d0e3b42:0.02:2:77be504124b9.bb21720aff00,b936e0bb8352.05d4eca23762",
                "keep-drop-swapped": "fp2:n:07a06fa8:0.02:2:7ebd67304078.df15fea4e4c3,cf7bd8e6f1b8.47b1c2273342",
            },
        ),
        "q7b": (
            None,
            {
                "mask-not-reused": "fp2:n:efd22c9f:0.1:s:07ff01afbd31.b15237c857ad",
            },
        ),
        "q7b:gradient": (
            None,
            {
                "backward-unscaled": (
                    "fp2:n:b8e610b0:1e-07:4x6:cb9264efdbd7.110a937b6539,60f28ddc6d68.dcc95b40d4f1,0c0de18725cb.1d0e"
                    "9101a243,cce731affb8a.af9d980ba54b,0a9a21be783a.83002f45a9bb,c923c501235b.468c20699457,cc5dc60"
                    "63600.6e027085e438,eb29f00b0c00.308b4899f93c,c55d2706183d.66eae24349f4,34ecdd652c47.f8bc7b7961"
                    "c6,86725ffedc0b.2106942ca2f7,c8a3091f177c.c3bcf28a3a4b,d6cbb37ac215.fa1f119d633a,7d10d2966d8a."
                    "ba02dd03456a,86c47a7bc73e.c74c24282eda,e22c576e9674.e208a4137b20,f28e305f5ba0.4d462f970520,b99"
                    "7bf1e1e0f.468bf60fc301,f5f46a82884f.8f0acc466524,c641bc404496.4f00c6432dde,77db6296b714.4ac98f"
                    "ef50af,b5efb2e9dd6a.c0c7ace3cf4e,cda9d3b690d1.953ce5053176,325bab5404f1.24623b618519"
                ),
                "backward-scaled-by-p": (
                    "fp2:n:be7e7a4c:1e-07:4x6:99e65febc0f6.fae7287652b2,2cdd495e9e7f.072e4bdaabe3,da1a3283c027.4e48"
                    "e53fce6a,4e9e02e38422.7a5c384921e2,602516001f47.e1da62a4cf22,b4749dceceac.3953beb19197,99271fc"
                    "d0e03.e58f4aaac3a3,e5350e2d8f76.32ca9f703272,94dcb329b1cd.793cf68f0405,d86ca1f09c3c.098d49806a"
                    "2a,2b35759c1580.f1ff48c5371d,a8184c6cbd60.4bcfc9814874,1b559787ab41.d4c18efb7782,7a51d040797a."
                    "c24831dd44d9,31596809c42b.7746922eece6,c210aac4ce48.6c5ec92b4350,20dcc688c529.55d8b54d7950,3ab"
                    "860351e13.3455ef8f3a75,fb7f271949d7.98ebd014c4b0,d649c7de236e.bb6257c6d148,260c24af38dd.250774"
                    "fc2ad1,db06ebada3be.3c3ae72b501b,cbfac86feb49.b8197c0f3424,8990cb4082d6.3e3325804e9d"
                ),
            },
        ),
        "q8a": (
            "fp2:n:e25d4c39:0.1:2:6ea64594ba2b.091a33141254,c402d8952e46.ff4464d5a251",
            {
                "ties-as-improvements": "fp2:n:58fbe2d1:0.1:2:f516311722e5.7abb593cc0ea,ada00ed67653.d33f837c1c71",
                "patience-off-by-one": "fp2:n:362fa200:0.1:2:ec0b9e0be4ef.2749eaf4193e,d5ddd9fcd458.5bc2c7e65ed6",
            },
        ),
        "q8b": (
            "fp2:n:9285a5d8:0.1:s:086e5e74f559.833ec1a6dac2",
            {
                "kept-last-weights": "fp2:n:6ebd60af:0.1:s:41dc2880686e.b49695131e14",
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
