# Sourced by shell tests and benchmarks: writes an orsa-builder job file
# (the fields src/builder/job.hpp parses) for a project built on a base image.
write_job() {  # file owner project tag commit archive template_dir registry base_repo base_ref
  cat >"$1" <<JOB
{"build_id": "bld_$3$4", "owner": "$2", "project": "$3", "commit": "$5",
 "commit_time": 1700000000, "source_archive": "$6", "template_dir": "$7",
 "registry": "$8", "base_repository": "$9", "base_reference": "${10}",
 "target_repository": "$2/$3", "target_tag": "$4", "timeout_s": 300}
JOB
}
