#!/usr/bin/env bash
# Checks the CUDA path on a machine with an NVIDIA GPU, cmake and nvcc (no Java or Maven needed there):
#   1. builds the native libraries and harness with CMake and runs ctest (CUDA kernels vs the CPU reference);
#   2. runs the CUDA harness under compute-sanitizer (memcheck, racecheck, initcheck, synccheck);
#   3. when a Java runtime and the jars were packed beside it (scripts/gpu-pack.sh -> .gpu/), runs the JUnit
#      suite (CUDA parity included), `lrn4j info`, `lrn4j bench lrn` and memcheck over the Java parity test;
#   4. when PyTorch is there, the GPU peers (cuBLAS sgemm, cuDNN LSTM, copy bandwidth).
# Logs go to $OUT (or /tmp/lrn4j-gpu). Exit status: the number of failed steps.
# SKIP_PEERS=1 and SKIP_JAVA_SANITIZER=1 leave those parts out; MEMCHECK_CAP and QUICK_CAP (seconds) cap
# the sanitizer runs so that the whole script fits a 10-minute call.
set -u
out="${OUT:-/tmp/lrn4j-gpu}"
mkdir -p "$out"
build=/tmp/lrn4j-build
fails=0
step() {  # step NAME COMMAND...: runs, logs to $out/NAME.log, reports
  local name=$1; shift
  echo "=== $name: $*"
  "$@" > "$out/$name.log" 2>&1
  local rc=$?
  tail -n "${TAIL:-15}" "$out/$name.log"
  echo "=== $name: exit $rc"
  [[ $rc -eq 0 ]] || fails=$((fails + 1))
}
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader
nvcc --version | tail -2
step build bash -c "cmake -S . -B $build -DLRN4J_CUDA=ON -DCMAKE_BUILD_TYPE=Release && cmake --build $build -j 16"
step ctest ctest --test-dir "$build" --output-on-failure
harness=$(find "$build" -name test_cuda_kernels -type f -perm -u+x | head -1)
# memcheck over the whole harness; the slower tools over one case per kernel path (--quick). Each is capped.
for tool in memcheck racecheck initcheck synccheck; do
  extra=()
  args=(--quick)
  cap=${QUICK_CAP:-120}
  if [[ $tool == memcheck ]]; then
    extra=(--leak-check full)
    args=()
    cap=${MEMCHECK_CAP:-240}
  fi
  step "sanitizer-$tool" timeout "$cap" compute-sanitizer --tool "$tool" "${extra[@]}" --error-exitcode 9 "$harness" "${args[@]}"
done
if [[ -x .gpu/jre/bin/java ]]; then
  java=.gpu/jre/bin/java
  cp=$(find .gpu/lib -name '*.jar' | sort | paste -sd: -)
  cudalib=$(dirname "$(find /usr/local/cuda*/ /usr/local/cuda/lib64 /usr/lib/x86_64-linux-gnu /opt -name 'libcudart.so.13*' 2>/dev/null | head -1)")
  export LD_LIBRARY_PATH="$cudalib:${LD_LIBRARY_PATH:-}"
  step info $java -cp "$cp" org.lrn4j.cli.Main info
  TAIL=40 step junit $java -jar .gpu/junit.jar execute --disable-banner --details=tree -cp ".gpu/test-classes:$cp" \
      --scan-classpath .gpu/test-classes --fail-if-no-tests
  [[ -z ${SKIP_JAVA_SANITIZER:-} ]] && step sanitizer-java compute-sanitizer --tool memcheck --error-exitcode 9 --target-processes all \
      $java -jar .gpu/junit.jar execute --disable-banner -cp ".gpu/test-classes:$cp" \
      --select-class org.lrn4j.backend.KernelParityTest
  TAIL=20 step bench-lrn $java -cp "$cp" org.lrn4j.cli.Main bench lrn --backend cuda,native \
      --peak-gflops "${PEAK_GFLOPS:-60000}" --bandwidth-gbs "${BANDWIDTH_GBS:-3000}"
  $java -cp "$cp" org.lrn4j.cli.Main bench lrn --backend cuda --json --peak-gflops "${PEAK_GFLOPS:-60000}" \
      --bandwidth-gbs "${BANDWIDTH_GBS:-3000}" > "$out/bench-lrn.jsonl" 2>&1
fi
if [[ -z ${SKIP_PEERS:-} ]] && python3 -c 'import torch; assert torch.cuda.is_available()' 2>/dev/null; then
  TAIL=20 step torch-peers python3 bench/gpu/torch_peers.py
fi
echo "failed steps: $fails"
exit $fails
