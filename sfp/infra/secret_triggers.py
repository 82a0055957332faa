"""The secret table's pre-check, as literals: what `may_hold_secret` looks for without importing the
table (every hook logs, and a clean line must cost a few substring scans, not the table's import).
Written by `sfp.infra.secret_table.write_trigger_module()` from the rows; tests/infra/test_redact.py
checks it still matches them."""

from typing import Final

TRIGGERS: Final = (
    '!=', '-u', '==', 'q~', 'sk', '://', ':aa', 'a3-', 'a3t', 'eyj', 'hf_', 'key',
    'pk.', 'pwd', 'sg.', 'sl.', 'abia', 'acca', 'agpa', 'aida', 'aipa', 'aiza', 'akcp', 'akia',
    'anpa', 'anva', 'api-', 'aroa', 'asia', 'auth', 'dapi', 'eaaa', 'eaac', 'eaam', 'ezak', 'eztk',
    'fm1_', 'fm2_', 'fo1_', 'gho_', 'ghp_', 'ghr_', 'ghs_', 'ghu_', 'glc_', 'hvb.', 'hvr.', 'hvs.',
    'ico-', 'ltai', 'npm_', 'ntn_', 'p8e-', 'pass', 'pat.', 'pnu_', 'pswd', 'pul-', 'sat.', 'sgp_',
    'vca_', 'vci_', 'vck_', 'vcp_', 'vcr_', 'xai-', 'zxlk', '--api', 'basic', 'creds', 'data:', 'fm1a_',
    'fm2r_', 'gldt-', 'glft-', 'glrt-', 'glsa_', 'hrku-', 'mysql', 'nrak-', 'nrii-', 'nrjs-', 'pmak-', 'pplx-',
    'rdme_', 'token', 'v1.0-', 'xapp-', 'xoxa-', 'xoxb-', 'xoxe-', 'xoxo-', 'xoxp-', 'xoxr-', 'xoxs-', 'ya29.',
    'atatt3', 'bearer', 'cfpat-', 'dp.ct.', 'dp.pt.', 'dp.sa.', 'dp.st.', 'glcbt-', 'glimt-', 'gloas-', 'glpat-', 'glptt-',
    'secret', 'shpat_', 'shpca_', 'shppa_', 'shpss_', 'value=', 'whsec_', 'doo_v1_', 'dop_v1_', 'dor_v1_', 'dt0c01.', 'glffct-',
    'glsoat-', 'gocspx-', 'sha256~', 'sm_aat_', 'sm_pat_', 'sm_sat_', 'sntrys_', 'sntryu_', 'sq0atp-', 'sq0csp-', 'api_org_', 'clojars_',
    'dp.scim.', 'glagent-', 'lin_api_', 'rk_live_', 'rk_prod_', 'rk_test_', 't3blbkfj', 'xoxe.xox', '.atlasv1.', 'dckr_oat_', 'dckr_pat_', 'dp.audit.',
    'rubygems_', 's-s4t2af-', 's-s4t2ud-', 'credential', 'pscale_pw_', 'github_pat_', 'pscale_tkn_', 'duffel_live_', 'duffel_test_', 'shippo_live_', 'shippo_test_', 'flwpubk_test-',
    'flwseck_test-', '/api/webhooks/', '_gitlab_session=', 'hooks.slack.com/', '.webhook.office.com/', 'pypi-ageichlwas5vcmc', 'pypi-agendgvzdc5wexbplm9yzw',
)
SHAPES: Final = '[MNO][\\w-]{23,25}\\.[\\w-]{6}\\.'
