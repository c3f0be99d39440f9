#!/usr/bin/env bash
# contract.aws_standin: proves the AWS stand-in (awsserver.py) against AWS's
# own SDK, botocore, and AWS's C signer, awscrt (standin_test.py).
#   contract_test.sh
# Needs Debian's /usr/bin/python3 with python3-botocore and python3-awscrt;
# without them it FAILS (it does not skip): the stand-in is only worth
# something when it checks by AWS's definitions.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
python=/usr/bin/python3

if [ ! -x "$python" ]; then
  echo "contract_test.sh: FAIL: $python is missing (install Debian's python3)" >&2
  exit 1
fi
for module in botocore:python3-botocore awscrt:python3-awscrt; do
  if ! "$python" -c "import ${module%%:*}" 2>/dev/null; then
    echo "contract_test.sh: FAIL: $python cannot import ${module%%:*}:" \
         "install the Debian package ${module#*:} (apt-get install ${module#*:})" >&2
    exit 1
  fi
done
exec "$python" "$here/standin_test.py"
