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
        "q1": (
            "fp2:n:5612dbd2:0.1:s:8536d868b669.2001d0a75988",
            {
                "chose-by-training-error": "fp2:n:7c6ee1af:0.1:s:2e61f544b1f8.97b21fc3f7e2",
            },
        ),
        "q2a": (
            None,
            {
                "squared-error-not-bias": "fp2:n:07808c52:1e-09:s:f6f5a6d1d89c.f7357d3d7511",
            },
        ),
        "q2b": (
            None,
            {
                "sample-variance": "fp2:n:ca62e209:1e-09:s:bc6009bb2677.7fb2f0e3bc55",
                "variance-across-points": "fp2:n:7d7af90c:1e-09:s:7f474abe4311.12722afd1e3a",
            },
        ),
        "q3a": (
            None,
            {
                "sum-not-mean": "fp2:n:c9ab6ce9:1e-09:s:2b224cf82836.c5d15820dea8",
            },
        ),
        "q3b": (
            None,
            {
                "alpha-not-half": "fp2:n:7d18587d:1e-09:s:d5914ec74791.8d7f82444b9b",
                "penalty-divided-by-n": "fp2:n:80b657e5:1e-09:s:87b90a4e626c.55b0d05bab61",
            },
        ),
        "q4a": (
            None,
            {
                "forgot-half": "fp2:n:93345387:1e-09:s:30225a12172f.ae4aa80bc30c",
            },
        ),
        "q4b": (
            None,
            {
                "penalized-bias": "fp2:n:4b785a00:1e-09:s:97bbe4b395d9.6b608cd6a62b",
            },
        ),
        "q5a": (
            None,
            {
                "forgot-1-over-m": "fp2:n:398c0e5b:1e-09:s:bb20003776c5.f2e79847ca35",
                "penalized-bias": "fp2:n:042c651d:1e-09:s:777aca315bd7.091c9b6b12a1",
                "halved": "fp2:n:32e913fe:1e-09:s:4e135951a492.aae91ce13056",
                "squared-not-absolute": "fp2:n:516e6b87:1e-09:s:1acbdd29f6e8.64a1eebe7aac",
            },
        ),
        "q5b": (
            None,
            {
                "forgot-1-over-m": (
                    "fp2:n:91f1ccda:1e-09:8:efd6c88efd9b.2625cf533791,87ad2594ea21.32511b30d02b,1e045e1fdc98.c2653604337"
                    "b,2eab16647bd2.9e917c3943a7,32311e674ff4.7a0d1d3f36c4,db9acf2676dc.7d392bea91d9,feb9fc5442a9.791254"
                    "e64d16,953ad334e2fb.dd53bed49e93"
                ),
                "penalized-bias": (
                    "fp2:n:60fe2e76:1e-09:8:a2285edf5eeb.45f8899b8d46,ed37376473bd.6e09c5d8819e,25798c6f8a75.e25934d87b7"
                    "8,9d3f36d79e49.2076b1623397,6bc21681d9d7.4ba3a04cde9c,93d87e1cae15.5d62d9cefe55,a4d2cb147d73.aa0e54"
                    "15f8ce,aef577af4b82.3a6bd119415b"
                ),
                "l2-gradient": (
                    "fp2:n:dbe48988:1e-09:8:e0841125ce2d.4c20a12656bc,ccda4f84bbab.fe5e03bb40d2,c215d113f4a0.f0a2b0b0f33"
                    "4,b3ee546a1ff1.4fd163424595,d2e33ccb3909.184b6868ba29,f07754685ad8.720aa97de69d,b6e2160940f0.a1af33"
                    "ca946f,cc99d37f8a1d.f37fc2023580"
                ),
            },
        ),
    },
    "01_l2_weight_decay": {
        "q2a": (
            None,
            {
                "one-at-zero-eigenvalue": (
                    "fp2:n:6235d8a6:1e-09:3:5d152e3fd163.b31c8d4805bc,fa5f2bfe59aa.df8c203e669d,aeed50b0b709.b42e81"
                    "2aeeb0"
                ),
            },
        ),
        "q2b": (
            None,
            {
                "alpha-over-sum": "fp2:n:a4f500ff:1e-09:2:89bd893ff40d.f3794e8d2c69,ba381efe2c0c.ac231dc02296",
            },
        ),
        "q3": (
            None,
            {
                "q-swapped": (
                    "fp2:n:2f874544:1e-06:3:7230efeabd20.f8e79543ded8,292f63569bf7.c02db22de0d2,cf5e9eb20f45.36af72"
                    "b579b4"
                ),
                "alpha-over-sum": (
                    "fp2:n:1e1743b1:1e-06:3:244eb8b3d60d.2bad4b30868f,93393c50e48d.4f887ea882e7,3e1cda9594d5.d22fb3"
                    "a61964"
                ),
            },
        ),
        "q4": (
            "fp2:n:f37b1e6d:1e-06:2:5711b7576c1b.f3ded9e1f6f4,879ea71f6e33.369b33c31ea9",
            {
                "alpha-over-sum": "fp2:n:6c1f10e6:1e-06:2:4eb05c11686d.193b06ee4dd3,20b0d7119168.4ede630cf755",
            },
        ),
        "q5": (
            None,
            {
                "alpha-everywhere": "fp2:n:820ec705:1e-09:2:e500ce90f680.d3ac0415ef0a,b398085b164f.9018af589882",
                "no-penalty": "fp2:n:969e0f96:1e-09:2:5c3b8c8c2d08.b7c5347b3758,c7f0c75e79e0.edddf6e49e0f",
            },
        ),
        "q6": (
            "fp2:n:5380f429:1e-09:s:8878cf4cb874.4296cc644da2",
            {
                "sklearn-alpha-as-weight-decay": "fp2:n:424fe0dc:1e-09:s:50d7013daa4a.b62774b17f0f",
                "forgot-n": "fp2:n:6be92f0a:1e-09:s:207b19574a95.b5e0a1d017ef",
                "forgot-factor-2": "fp2:n:ff5d2b24:1e-09:s:2d0efe967510.e2e0c597c795",
            },
        ),
        "q7a": (
            None,
            {
                "clipped-coordinates": "fp2:n:854ec9dd:1e-09:2:29a1cf78823a.0283b7661ef3,0cbdadd5f7b5.d279f499109c",
            },
        ),
        "q7b": (
            None,
            {
                "pulled-inside": "fp2:n:83cac27c:1e-09:2:f7c4af57035d.ed808fd33f19,2689e1789901.2b9646975c6d",
            },
        ),
    },
    "02_l1_lasso": {
        "q1a": (
            None,
            {
                "no-max": (
                    "fp2:n:4e814d97:1e-09:4:7f2c95a50ef9.9a006d89583f,e67ae07563bb.715e940d10ad,4fbe76820ae7.3dd10d"
                    "1d6add,b63995859551.754b9bacb8c9"
                ),
            },
        ),
        "q1b": (
            None,
            {
                "no-sign": "fp2:n:48d76baa:1e-09:2:9d194934aeaf.6f3ff5bfa53c,f850d4e5923e.43d302986a35",
            },
        ),
        "q2": (
            None,
            {
                "threshold-alpha": "fp2:n:61d6f5a5:1e-09:2:0a3fc4482db1.50bf8c7120cb,b4cc13629e8c.88d5c581fd9f",
                "threshold-alpha-times-h": (
                    "fp2:n:e44314b1:1e-09:2:5a32116eb541.b6e22667b8c7,5bd7c305aea2.19e05cfb8620"
                ),
            },
        ),
        "q3": (
            "fp2:n:c1205eb8:1e-09:s:03a700148e38.b3316204d2ab",
            {
                "forgot-h": "fp2:n:6ae309b8:1e-09:s:f2a58637940b.5b121190262a",
                "divided-by-h": "fp2:n:a49120cf:1e-09:s:aa24a52f798e.23b9005d7e98",
                "min-not-max": "fp2:n:6c617053:1e-09:s:1ec955f741d0.8915835c2958",
            },
        ),
        "q4": (
            "fp2:n:ea8b5206:0.1:s:32dcc5cca0a4.84a9a6947663",
            {
                "counted-nonzeros": "fp2:n:437be718:0.1:s:a4a114640b52.0123e5908e35",
                "threshold-alpha": "fp2:n:bf8ea489:0.1:s:8f10d705c7d1.b15784190ae1",
            },
        ),
    },
    "03_early_stopping": {
        "q1a": (
            None,
            {
                "returned-last": "fp2:n:7431fbb2:0.1:s:bd58431905e6.d64efb5c16f4",
            },
        ),
        "q1b": (
            None,
            {
                "patience-off-by-one": "fp2:n:8cdbef32:0.1:s:48b1d63d9bd6.7c11e4272a41",
            },
        ),
        "q1c": (
            None,
            {
                "ties-improve": "fp2:n:52c93b4e:0.1:2:b1ab856b7102.81aa65c886c6,6934fd95d8fe.97ad0ef94317",
            },
        ),
        "q2a": (
            None,
            {
                "tau-plus-one": "fp2:n:5699eed1:1e-09:2:1346fab2f2df.98f446dc774c,817164705ed7.0341946e27a9",
                "started-at-w-star": "fp2:n:5ebefe03:1e-09:2:d9ca0e99db9d.b93b2b86b4bc,60acc986ad0c.44955c0bc284",
            },
        ),
        "q2b": (
            None,
            {
                "started-at-w-star": "fp2:n:9cbd3f22:1e-09:2:ac936861f222.47be48a874b6,4f83da329ecb.6cb9227d19bd",
            },
        ),
        "q3a": (
            None,
            {
                "tau-plus-one": "fp2:n:4dfa067b:1e-09:2:046be5f590be.bf27660f807d,d2562641c709.55679642a740",
                "tau-minus-one": "fp2:n:71d7fd04:1e-09:2:16268708d52b.f4cbd3ef2a77,2570b8f06cb3.2582f722a24d",
            },
        ),
        "q3b": (
            None,
            {
                "loop-rounds-tau": "fp2:n:364a8a2f:1e-09:2:d3954be9009b.31da4d64da2a,34fc0f0deaa1.9c6d930ff0d2",
                "tau-plus-one": "fp2:n:5b45d142:1e-09:2:c4619e80b303.cbf7156947e5,f3a3efa13395.a4b78500f421",
            },
        ),
        "q4": (
            "fp2:n:f078df89:1e-09:s:0b19a931f772.c25242d5ceaa",
            {
                "eps-times-tau": "fp2:n:d377c6bb:1e-09:s:9f31055eb5b5.973df4c3bc5d",
            },
        ),
        "q5a": (
            None,
            {
                "approximation": "fp2:n:fd1b09c0:1e-09:2:7292075b344f.b798258d4ffc,2c0857c17fb3.064868a5be80",
                "tau-plus-one": "fp2:n:d6c02efc:1e-09:2:2ade80211d21.926d1eeebe1c,190836166b48.b707e47e4afa",
            },
        ),
        "q5b": (
            "fp2:n:3d796068:1e-07:s:ea32a91d52f4.363a3101a393",
            {
                "zero-alpha": "fp2:n:91519475:1e-07:s:7cf365291479.c6f7979e0448",
            },
        ),
    },
    "04_bagging": {
        "q1a": (
            "fp2:n:03caccd8:1e-09:s:b20e7cb1c320.88cfd1143dc5",
            {
                "not-squared": "fp2:n:cde7887b:1e-09:s:addc763fa8a0.3d5ea859010c",
            },
        ),
        "q1b": (
            "fp2:n:1fca6474:1e-09:s:a24e2641f277.cd27753b35d0",
            {
                "no-correlation-term": "fp2:n:56e99d8c:1e-09:s:eb758b4d8b6d.d9dea1679071",
                "k-minus-1-c": "fp2:n:45657ac0:1e-09:s:c97190539e3e.21010128265e",
                "not-squared": "fp2:n:e29a1a47:1e-09:s:cf2f199dc8e9.c288c1a5384a",
            },
        ),
        "q2": (
            "fp2:n:bd999e76:0.1:s:e24b71c1d261.68c3cfeb6817",
            {
                "no-correlation-term": "fp2:n:49c8b6cb:0.1:s:cd8f70573d4e.1c27f7425c04",
                "rounded-down": "fp2:n:03777fa0:0.1:s:2a213d2b6351.834a86b5cfa6",
            },
        ),
        "q3": (
            "fp2:n:b363e962:1e-09:s:211869d13711.eef7bf450c28",
            {
                "covered-fraction": "fp2:n:e8829d9c:1e-09:s:a487c6b0f8b3.adbe798a74ef",
                "counted-duplicates": "fp2:n:dfdf929b:1e-09:s:101f0fc629d8.93a31febba7c",
            },
        ),
        "q4a": (
            (
                    "fp2:n:922ceb40:1e-09:10:a727f81a5ad9.fa43007dd4f8,0ff782798144.706a3aacba7f,dd0b9d44ffc6.3858a"
                    "080e291,6bb17344d942.0477603d1184,6d5924836e02.5022f1ddac57,8b587bdb9a94.64f8f1ab4aed,cdabe947"
                    "b9c5.4afda202c553,2784204ed4d2.1ef0eee21619,5c6566047a10.5d289f5222dd,813df13871ea.79070f46b9d"
                    "a"
                ),
            {
                "last-index-missing": (
                    "fp2:n:448f002f:1e-09:9:34ea1931b8fd.34d433de9b56,93b33e1671ed.a3fba79f100d,c5f2807cb040.b9153a"
                    "4277f7,19d702583bc0.f11b57713076,b6ce81fc3895.4f20168f8b23,05211ecd65a9.b2f37553568d,1191060c5"
                    "ad1.3454f34c35ee,5a764fe20f86.d938df67788b,90b5cc61f008.ff2b907db7c3"
                ),
                "one-based": (
                    "fp2:n:90148cfb:1e-09:10:a53c6dc41443.42c14d7b68ad,294c45933eaa.81746d302073,87a21a582192.07957"
                    "df53ada,e7de512ef1d8.511d6f36af80,22d80806ed79.6f0ffea37521,5496ba2eb09e.557d9f424501,99b16e48"
                    "2034.f06600b42d16,f91a5c441aef.714ebea01b65,a4bd219b8a67.185f0b611471,ace9f46f98c6.5af185f2c8c"
                    "3"
                ),
            },
        ),
        "q4b": (
            "fp2:n:e8c47e47:0.01:s:6ae529e16cc8.47e6cf09c1da",
            {
                "without-replacement": "fp2:n:3039ca29:0.01:s:232a80e1addc.c191ad7ddc29",
            },
        ),
        "q5a": (
            "fp2:n:c160bace:1e-09:s:543b10a3663e.992f82daa81e",
            {
                "centered": "fp2:n:ab00821a:1e-09:s:cb60af8eccc5.3720d6bc469e",
            },
        ),
        "q5b": (
            "fp2:n:ae205c40:1e-09:s:6b5914d506ab.378254d4ad10",
            {
                "included-self-pairs": "fp2:n:f6ba97ce:1e-09:s:c413ff867b95.d84a5a7ff3ae",
                "pairs-over-k-squared": "fp2:n:05335cee:1e-09:s:50cd3f74cc33.74e009d6a162",
            },
        ),
    },
    "05_dropout": {
        "q1a": (
            "fp2:n:70af945b:1e-09:2:6a8e8730df9d.86ea678e3150,effc8cff5e5d.18cade1b0c12",
            {
                "scaled-by-p": "fp2:n:27dedb63:1e-09:2:1483bf9a950b.643a5bbe8913,4c5963df1c93.eae96ccc2532",
                "scaled-by-drop": "fp2:n:fb76e00e:1e-09:2:5dc3ac85c3a1.65ba61efe855,edcba5389396.29f62f6a82a5",
                "not-rescaled": "fp2:n:17049460:1e-09:2:d6aa18919421.da10fff5ec36,3ad1936a7cb9.67c46a6f4fd3",
            },
        ),
        "q1b": (
            "fp2:n:025e5f67:1e-09:2:94f81a08720c.e6e76db1eb90,50a749b417d1.290414e3fc3f",
            {
                "keep-drop-swapped": "fp2:n:afd2b37a:1e-09:2:2d48b1d1613e.c6881664f229,5815b7f20c51.1da95f61421b",
            },
        ),
        "q1c": (
            "fp2:n:0eea7b5d:1e-09:s:66994c384662.4863f324b72d",
            {
                "unweighted-mean": "fp2:n:071f1088:1e-09:s:5c1dc5e2c23c.b157befba9d6",
                "not-rescaled": "fp2:n:58c23f1d:1e-09:s:da08d1a94ab9.02cc8b4622de",
                "scaled-by-p": "fp2:n:bb76d680:1e-09:s:bc6bc6a5b33e.08734a725843",
                "keep-drop-swapped": "fp2:n:ee37de25:1e-09:s:410625fadd04.462d097dbb50",
            },
        ),
        "q2a": (
            "fp2:n:d62ba04a:1e-09:1:bca1989ef960.55356c94759b",
            {
                "scaled-by-p": "fp2:n:1fc24a10:1e-09:1:e504ea9a4a6b.ad0bfb393947",
                "scaled-by-drop": "fp2:n:f161d2f6:1e-09:1:f5d839747416.89a909f82f67",
                "not-rescaled": "fp2:n:b8fa0c9c:1e-09:1:4e0c3c3086c2.bc93c4dade0e",
            },
        ),
        "q2b": (
            "fp2:n:b5dd7a94:0.01:s:22c34df12b99.57ea5052fb6d",
            {
                "keep-drop-swapped": "fp2:n:566e6ab6:0.01:s:cd80af0efdfd.e717158fd772",
            },
        ),
        "q2c": (
            "fp2:n:ab6206b0:0.01:s:23996dcfde45.b6c5dab4302c",
            {
                "one-mask-per-batch": "fp2:n:a9cd4011:0.01:s:c9d7944650d2.34072dd579c5",
            },
        ),
        "q3a": (
            "fp2:n:74d9b8e2:1e-09:s:a26025553d8b.75877a909e54",
            {
                "keep-drop-swapped": "fp2:n:9fcda708:1e-09:s:eef4c52bf4ec.40121d119003",
            },
        ),
        "q3b": (
            "fp2:n:2ef4c3c9:1e-09:s:945a56b922b5.2ceb8f292499",
            {
                "scaled-by-drop": "fp2:n:b0eea80d:1e-09:s:bda2ba52c82a.5f3ced025610",
                "scaled-by-p": "fp2:n:ee33e487:1e-09:s:8640af95d9d4.044a63eef3d5",
            },
        ),
        "q4a": (
            "fp2:n:70a14752:1e-09:3:4f25875740bd.4a264b732a87,9a3c151b39b9.623160d9110d,ca882e8cb71b.ba1ac6329bfd",
            {
                "arithmetic-mean": (
                    "fp2:n:4fbac839:1e-09:3:82b745171448.1ef6c3be4ac8,c407af8d5bdb.123e0d53ca33,002adef969ef.8c7e70"
                    "0d4e0e"
                ),
                "weights-as-factors": (
                    "fp2:n:7abaa335:1e-09:3:49b053c98310.25aa7c24e257,6ffc7a2e29f5.16b30be1fd42,ff435441f6c2.dfc2e8"
                    "b39d7c"
                ),
            },
        ),
        "q4b": (
            (
                    "fp2:n:207cc382:1e-09:4:b216b596329c.9ebd2ce6c02c,32d54f6388e7.24019f3a79a2,2d95c1b93c72.c0e66e"
                    "61fc23,4c89fe6a3344.66476ab0144b"
                ),
            {
                "not-renormalized": (
                    "fp2:n:aa6c9173:1e-09:4:52cd7f1f0a87.7d4cb21e39c2,35c8c8a9b337.7f4206a57f70,d84a2aaafe0e.b7ea1e"
                    "e1ab65,ac43be900836.efde888f49af"
                ),
                "arithmetic-mean": (
                    "fp2:n:1aa4a76a:1e-09:4:d0a8930c424d.d95277dec51c,69fc67d50e83.524ce7ddd7ac,a3297f8d5f2b.a8a950"
                    "cf259d,8aaae5d6165c.a329a6df4d62"
                ),
            },
        ),
        "q5a": (
            "fp2:n:1412ddf1:1e-09:3:93b83f6dc16b.5b30fc733242,652a37616aaa.9ca7017153ac,70266c12d59a.c930a5038ee8",
            {
                "scaled-bias": (
                    "fp2:n:8b597b15:1e-09:3:b6cb0551c725.e4a6abcefabe,988a99d9c95e.3633cceda578,d1a98bc92993.b3db41"
                    "cee322"
                ),
                "keep-drop-swapped": (
                    "fp2:n:0019485d:1e-09:3:6386327c5abc.d7a755aef494,09ee30f042cc.71ca68e9d3b1,f97d8d19fbf0.90fbd9"
                    "924ec3"
                ),
                "no-scaling": (
                    "fp2:n:e2952690:1e-09:3:b4e110882720.c971dbc77dd9,c06db636fd50.cc02937ba39c,108e004d6d5a.befa1f"
                    "1ca7f6"
                ),
                "arithmetic-mean": (
                    "fp2:n:79773adb:1e-09:3:56804e1dae89.3138ba788330,31b07a0ac65d.98beef69537f,177ff2b25be1.a7012d"
                    "f93cec"
                ),
            },
        ),
        "q5b": (
            "fp2:n:23d7e4c7:1e-09:3:a64c584c6568.f86b710192a9,14c6f10c11ef.4a8a40495bc8,4e53a9fd43d2.09ff4dd0f0f6",
            {
                "scaled-bias": (
                    "fp2:n:5ed98060:1e-09:3:d6ddccbe0c9d.1741c07e1177,27a3803a9361.7717f9ffd36d,4d4046d5cc79.0ca8a5"
                    "17ab0a"
                ),
            },
        ),
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
