#!/usr/bin/env bash
# live.kubernetes — OPT-IN, against a real cluster (nothing in CI reaches
# one): the Kubernetes adapter's tests that hold on any cluster
# (src/runtime/kubernetes/kubernetes_runtime_contract_test.cpp: a Deployment
# with its replicas, Service, pull Secret and NetworkPolicy; scale to zero
# and back; listing by labels; removal; the watch; refusals; a wrong token
# and CA). The stand-in's own checks (its version, its simulated Jobs) are
# left out. Without ORSA_KUBE_LIVE=1 it is skipped (exit 77) and says why.
#   ORSA_KUBE_LIVE=1 ORSA_KUBECONFIG=FILE ORSA_KUBE_LIVE_NAMESPACE=NS \
#   ORSA_KUBE_LIVE_IMAGE=IMAGE live_test.sh TEST_BINARY
# NS must exist and be ORSA's to use (everything is made and removed there);
# IMAGE must serve GET /healthz on port 8000 (an image ORSA built) and be
# pullable by the nodes without a credential.
set -euo pipefail
binary=$1
if [ "${ORSA_KUBE_LIVE:-}" != 1 ]; then
  echo "live.kubernetes: SKIP: a test against a real cluster, opt-in: set ORSA_KUBE_LIVE=1," \
    "ORSA_KUBECONFIG, ORSA_KUBE_LIVE_NAMESPACE and ORSA_KUBE_LIVE_IMAGE"
  exit 77
fi
for var in ORSA_KUBECONFIG ORSA_KUBE_LIVE_NAMESPACE ORSA_KUBE_LIVE_IMAGE; do
  [ -n "${!var:-}" ] || { echo "live.kubernetes: $var is not set" >&2; exit 2; }
done
ORSA_TEST_KUBECONFIG=$ORSA_KUBECONFIG ORSA_TEST_NAMESPACE=$ORSA_KUBE_LIVE_NAMESPACE \
  ORSA_TEST_IMAGE=$ORSA_KUBE_LIVE_IMAGE "$binary" \
  --gtest_filter='KubernetesRuntimeContract.*-*.TheServerAndTheNamespaceAnswer'
