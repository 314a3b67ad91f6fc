"""The openb reader: valid files parse; every kind of bad input names file, line, column."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from aifab.errors import BadInput
from aifab.workload import inflate_pods, read_openb_nodes, read_openb_pods

NODES = "sn,cpu_milli,memory_mib,gpu,model\nn0,64000,262144,2,P100\nn1,96000,393216,8,G2\n"
PODS = ("name,cpu_milli,memory_mib,num_gpu,gpu_milli,gpu_spec,qos,pod_phase,creation_time,"
        "deletion_time,scheduled_time\n"
        "p0,12000,16384,1,1000,,LS,Running,0,100,0\n"
        "p1,6000,12288,1,460,G2|P100,LS,Running,10,50,10\n"
        "p2,4000,8192,0,0,,BE,Running,20,,20\n")


def _write(tmp_path: Path, name: str, text: str) -> Path:
    p = tmp_path / name
    p.write_text(text)
    return p


def test_reads_nodes_and_pods(tmp_path: Path) -> None:
    nodes = read_openb_nodes(_write(tmp_path, "n.csv", NODES))
    assert len(nodes) == 2 and nodes.models == ("G2", "P100")
    assert nodes.gpu_capacity_milli == 10_000
    pods = read_openb_pods(_write(tmp_path, "p.csv", PODS), nodes.models)
    assert list(pods.gpu_demand_milli) == [1000, 460, 0]
    assert pods.gpu_spec == ("", "G2|P100", "")
    assert pods.has_times and np.isnan(pods.deletion_time[2])


def test_minimal_pod_columns(tmp_path: Path) -> None:
    pods = read_openb_pods(_write(tmp_path, "p.csv",
                                  "name,cpu_milli,memory_mib,num_gpu,gpu_milli\np,1,1,1,500\n"))
    assert len(pods) == 1 and not pods.has_times and pods.gpu_spec == ("",)


BAD_PODS = [
    ("name,cpu_milli,memory_mib,num_gpu\np,1,1,1\n", "line 1", "gpu_milli"),
    ("name,cpu_milli,memory_mib,num_gpu,gpu_milli\np,abc,1,1,500\n", "line 2, column cpu_milli",
     "not a number"),
    ("name,cpu_milli,memory_mib,num_gpu,gpu_milli\np,1,1,1,500\nq,1,-5,1,500\n",
     "line 3, column memory_mib", "negative"),
    ("name,cpu_milli,memory_mib,num_gpu,gpu_milli\np,1,1,1,1500\n", "line 2, column gpu_milli",
     "outside 0..1000"),
    ("name,cpu_milli,memory_mib,num_gpu,gpu_milli,gpu_spec\np,1,1,1,500,H100\n",
     "line 2, column gpu_spec", "unknown GPU model 'H100'"),
    ("name,cpu_milli,memory_mib,num_gpu,gpu_milli\np,1,1,2,500\n", "line 2, column gpu_milli",
     "whole GPUs"),
    ("name,cpu_milli,memory_mib,num_gpu,gpu_milli\np,1,1,1,\n", "line 2, column gpu_milli",
     "empty"),
]


@pytest.mark.parametrize(("text", "where", "what"), BAD_PODS)
def test_bad_pods_name_file_line_column(tmp_path: Path, text: str, where: str,
                                        what: str) -> None:
    path = _write(tmp_path, "pods.csv", text)
    with pytest.raises(BadInput) as exc:
        read_openb_pods(path, ["G2", "P100"])
    msg = str(exc.value)
    assert str(path) in msg and where in msg and what in msg
    assert "\n" not in msg


@pytest.mark.parametrize(("text", "where"), [
    ("sn,cpu_milli,memory_mib,gpu\nn,1,1,1\n", "line 1"),
    ("sn,cpu_milli,memory_mib,gpu,model\nn,1,1,x,G2\n", "line 2, column gpu"),
    ("sn,cpu_milli,memory_mib,gpu,model\nn,-1,1,1,G2\n", "line 2, column cpu_milli"),
    ("sn,cpu_milli,memory_mib,gpu,model\nn,1,1,1,\n", "line 2, column model"),
])
def test_bad_nodes(tmp_path: Path, text: str, where: str) -> None:
    path = _write(tmp_path, "nodes.csv", text)
    with pytest.raises(BadInput, match=where):
        read_openb_nodes(path)


def test_missing_and_empty_files(tmp_path: Path) -> None:
    with pytest.raises(BadInput, match="not found"):
        read_openb_nodes(tmp_path / "nope.csv")
    with pytest.raises(BadInput, match="empty file"):
        read_openb_pods(_write(tmp_path, "e.csv", ""))
    with pytest.raises(BadInput, match="no pods"):
        read_openb_pods(_write(tmp_path, "h.csv", "name,cpu_milli,memory_mib,num_gpu,gpu_milli\n"))


def test_inflation_reaches_target_without_passing_it(tmp_path: Path) -> None:
    pods = read_openb_pods(_write(tmp_path, "p.csv", PODS))
    cap = 10_000
    out = inflate_pods(pods, cap, 1.3, np.random.default_rng(1))
    total = int(out.gpu_demand_milli.sum())
    assert total <= 1.3 * cap < total + 1000 + 1
    assert sorted(out.name[:0]) == [] and len(out) >= len(pods)
    # deterministic for a seed
    again = inflate_pods(pods, cap, 1.3, np.random.default_rng(1))
    assert again.name == out.name
