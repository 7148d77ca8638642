"""CC105 (undeclared parameters), CC106 (tag filters upstream) and CC301 through anchors."""

from __future__ import annotations

from tests.conftest import FIXTURES, ciconf_in_process, run_ciconf

LINT = FIXTURES / "lint"


def lint(*args: str):
    return ciconf_in_process("lint", *args, cwd=LINT)  # the findings are the point


def located(stdout: str) -> list[tuple[str, str]]:
    """(line:col, rule) of each finding."""
    return [
        (line.split(":")[1] + ":" + line.split(":")[2], line.split(": ", 1)[1].split()[0])
        for line in stdout.splitlines()
    ]


# CircleCI, "Pipeline values and parameters" (https://circleci.com/docs/pipeline-variables/):
# pipeline values (pipeline.id, pipeline.number, pipeline.git.*, pipeline.project.*,
# pipeline.trigger_source, pipeline.schedule.*, ...) "are available to all pipeline
# configurations and can be used without previous declaration"; pipeline parameters are
# "declared in the parameters key at the top level"; element parameters (job, command,
# executor) are scoped to the element that declares them ("Element parameter scope").
def test_undeclared_parameters_are_flagged_in_their_own_scope_and_pipeline_values_never():
    result = lint("parameters.yml")
    assert result.returncode == 1
    assert result.stdout.splitlines() == [
        "parameters.yml:21:14: CC105 << parameters.whom >> names no parameter of command "
        "'greet': 'whom' is not under its parameters; did you mean 'who'?",
        "parameters.yml:29:22: CC105 << parameters.versoin >> names no parameter of job "
        "'build': 'versoin' is not under its parameters; did you mean 'version'?",
        "parameters.yml:32:14: CC105 << pipeline.parameters.deplyo >> names no pipeline "
        "parameter: 'deplyo' is not "
        "declared under the top-level parameters; did you mean 'deploy'?",
        "parameters.yml:37:14: CC105 << parameters.anything >> names no parameter of job "
        "'plain': 'anything' is not under its parameters",
    ]


def test_parameters_of_inline_orbs_are_their_own_scope(tmp_path):
    config = tmp_path / "config.yml"
    config.write_text(
        "version: 2.1\norbs:\n  local:\n    commands:\n      say:\n"
        "        parameters: {text: {type: string}}\n        steps:\n"
        "          - run: echo << parameters.text >> << parameters.txet >>\njobs:\n  a:\n"
        "    docker: [{image: cimg/base:stable}]\n    steps: [local/say: {text: hi}]\nworkflows:\n"
        "  w:\n    jobs: [a]\n"
    )
    result = run_ciconf("lint", config)
    assert [line.split(": ", 1)[1][:63] for line in result.stdout.splitlines()] == [
        "CC105 << parameters.txet >> names no parameter of command 'say'"
    ]


# CircleCI, "Workflows: executing workflows for a git tag"
# (https://circleci.com/docs/workflows/#executing-workflows-for-a-git-tag) and the configuration
# reference on `tags` filters (https://circleci.com/docs/configuration-reference/#tags):
# "CircleCI does not run workflows for tags unless you explicitly specify tag filters.
# Additionally, if a job requires any other jobs (directly or indirectly), you must specify tag
# filters for those jobs." and "If neither only nor ignore are specified then the job is skipped
# for all tags." Approval jobs are jobs of the workflow too.
def test_tag_jobs_whose_upstream_has_no_tags_filter_are_flagged_directly_and_transitively():
    result = lint("tags.yml")
    assert result.returncode == 1
    assert result.stdout.splitlines() == [
        "tags.yml:22:22: CC106 job 'hold' runs for git tags (filters.tags), but it "
        "requires 'test', which has no "
        "tags filter that lets tags through, so CircleCI never runs 'hold' for a tag; "
        "give 'test' a tags filter as well",
        "tags.yml:25:22: CC106 job 'release' runs for git tags (filters.tags), but "
        "upstream of its requirement "
        "'hold', job 'test' has no tags filter that lets tags through, so CircleCI never "
        "runs 'release' for a tag; give 'test' a tags filter as well",
        # `ignore: /.*/` lets no tag through; `ignore: /^nightly-.*/` lets the others through (not
        # flagged)
        "tags.yml:50:22: CC106 job 'release' runs for git tags (filters.tags), but it "
        "requires 'test', which has no "
        "tags filter that lets tags through, so CircleCI never runs 'release' for a tag; "
        "give 'test' a tags filter as well",
    ]


def test_tag_rule_reads_expression_filters_as_unknown_and_survives_cycles(tmp_path):
    config = tmp_path / "config.yml"
    config.write_text(
        "version: 2.1\njobs:\n  b: {docker: [{image: cimg/base:stable}], steps: [checkout]}\n"
        "workflows:\n  w:\n    jobs:\n"
        "      - b: {name: expr, filters: 'pipeline.git.tag starts-with \"v\"'}\n"
        "      - b: {name: after-expr, requires: [expr], filters: {tags: {only: /.*/}}}\n"
        "      - b: {name: one, requires: [two], filters: {tags: {only: /.*/}}}\n"
        "      - b: {name: two, requires: [one], filters: {tags: {only: /.*/}}}\n"
    )
    result = run_ciconf("lint", config)
    assert result.stdout.endswith(
        ": CC103 requires form a cycle in workflow 'w': one -> two -> one\n"
    )
    assert (
        len(result.stdout.splitlines()) == 1
    )  # no CC106: an expression filter is not read as "no tags"


def test_legacy_images_reached_through_anchors_outside_docker_are_flagged_where_written():
    result = lint("aliased_images.yml")
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert located(result.stdout) == [
        ("6:12", "CC301"),  # anchors.python, aliased as a docker item
        ("8:14", "CC301"),  # anchors.node_list, aliased as the whole docker list
        ("10:12", "CC301"),  # anchors.mysql, merged (<<) into a docker item
        ("16:16", "CC301"),  # references.go_job, a whole job aliased twice: reported once
        ("28:16", "CC301"),  # a scalar anchor aliased as the image value
    ]
    assert "circleci/ruby" not in result.stdout  # anchored but never used as an image
    assert lines[2].endswith("use cimg/mysql")


def test_list_rules_documents_the_new_rules():
    listed = lint("--list-rules").stdout
    assert "CC105  undeclared-parameter" in listed
    assert "CC106  tag-filter-upstream" in listed
