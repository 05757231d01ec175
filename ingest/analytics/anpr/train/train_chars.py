#!/usr/bin/python3
"""Train Vigil's ANPR character recogniser and export it to ONNX for OpenCV 4.6 DNN.

Reads one or more character datasets written by `vigil anpr generate -kind chars`
(DIR/labels.csv with the header `file,label`, lines `img/000001.png,A`, 20x32 grey PNGs that are
already charimg.Normalize'd; label `_` is the reject class), trains a small CNN and writes:

  OUT/chars.onnx  input `input` [1,1,32,20] float32 (pixel/255, 0 dark, 1 light),
                  output `probs` [1,37] float32 (softmax in the graph), ONNX opset 11, fixed shapes
  OUT/chars.json  provenance (generator, seeds, commands, torch version, sha256, held-out accuracy)

Classes, in this order: 0-9, A-Z, then index 36 = reject.

Run it with Debian's python (`/usr/bin/python3`, package python3-torch); see README.md here.
Training is deterministic given --seed and the data (CPU only, fixed thread count).
"""

import argparse
import csv
import hashlib
import json
import os
import random
import shlex
import subprocess
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from PIL import Image

CLASSES = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
REJECT = 36
NCLASS = 37
H, W = 32, 20


def label_index(s):
    if s == "_":
        return REJECT
    i = CLASSES.find(s)
    if len(s) != 1 or i < 0:
        raise ValueError("bad label %r" % s)
    return i


def class_name(i):
    return "_" if i == REJECT else CLASSES[i]


def load_dir(d):
    """Reads DIR/labels.csv and its PNGs: (uint8 images [N,32,20], int64 labels [N])."""
    path = os.path.join(d, "labels.csv")
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    if not rows or [c.strip() for c in rows[0]] != ["file", "label"]:
        raise SystemExit("%s: header must be file,label" % path)
    rows = rows[1:]
    xs = np.empty((len(rows), H, W), dtype=np.uint8)
    ys = np.empty(len(rows), dtype=np.int64)
    for n, row in enumerate(rows):
        if len(row) != 2:
            raise SystemExit("%s:%d: want 2 fields, got %d" % (path, n + 2, len(row)))
        with Image.open(os.path.join(d, row[0])) as im:
            im = im.convert("L")
            if im.size != (W, H):
                raise SystemExit("%s: %s is %dx%d, want %dx%d" % (path, row[0], im.size[0], im.size[1], W, H))
            xs[n] = np.asarray(im, dtype=np.uint8)
        ys[n] = label_index(row[1])
    return xs, ys


def read_meta(d):
    """The generator's own description of a dataset dir, if it wrote one (meta.json / provenance.json)."""
    for name in ("meta.json", "provenance.json", "dataset.json"):
        p = os.path.join(d, name)
        if os.path.exists(p):
            with open(p) as f:
                return json.load(f)
    return None


class CharNet(nn.Module):
    """3 conv blocks (32/64/128) + FC. About 6.5 M multiply-adds per character."""

    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv2d(1, 32, 3, padding=1, bias=False)
        self.b1 = nn.BatchNorm2d(32)
        self.c2 = nn.Conv2d(32, 64, 3, padding=1, bias=False)
        self.b2 = nn.BatchNorm2d(64)
        self.c3 = nn.Conv2d(64, 128, 3, padding=1, bias=False)
        self.b3 = nn.BatchNorm2d(128)
        self.fc1 = nn.Linear(128 * 4 * 2, 256)
        self.drop = nn.Dropout(0.3)
        self.fc2 = nn.Linear(256, NCLASS)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.b1(self.c1(x))), 2)  # 16x10
        x = F.max_pool2d(F.relu(self.b2(self.c2(x))), 2)  # 8x5
        x = F.max_pool2d(F.relu(self.b3(self.c3(x))), 2)  # 4x2
        x = torch.flatten(x, 1)
        x = self.drop(F.relu(self.fc1(x)))
        return self.fc2(x)  # logits


class WithSoftmax(nn.Module):
    def __init__(self, net):
        super().__init__()
        self.net = net

    def forward(self, x):
        return F.softmax(self.net(x), dim=1)


def augment(x, g, binar=0.2, bold=0.0):
    """Light augmentation of a float batch [B,1,32,20] in 0..1 (white background = 1).

    ±1 px shifts (white fill), brightness/contrast jitter, for a share `binar` of the images a
    binarisation at a random threshold (real crops are often binarised), and for a share `bold`
    strokes made bolder by half a pixel either side (a 2x2 minimum: ink spread by binarising)."""
    b = x.shape[0]
    if bold > 0:
        m = (torch.rand((b, 1, 1, 1), generator=g) < bold).float()
        thick = -F.max_pool2d(F.pad(-x, (0, 1, 0, 1), value=-1.0), 2, stride=1)
        x = m * thick + (1.0 - m) * x
    # shifts: pad with white, crop at a random offset in -1..1
    p = F.pad(x, (1, 1, 1, 1), value=1.0)
    dx = torch.randint(0, 3, (b,), generator=g)
    dy = torch.randint(0, 3, (b,), generator=g)
    out = torch.empty_like(x)
    for oy in range(3):
        for ox in range(3):
            m = (dy == oy) & (dx == ox)
            if m.any():
                out[m] = p[m, :, oy:oy + H, ox:ox + W]
    # contrast around the middle and brightness
    c = 0.7 + 0.6 * torch.rand((b, 1, 1, 1), generator=g)
    br = (torch.rand((b, 1, 1, 1), generator=g) - 0.5) * 0.3
    out = ((out - 0.5) * c + 0.5 + br).clamp(0.0, 1.0)
    # occasional binarisation with a random threshold
    t = 0.3 + 0.4 * torch.rand((b, 1, 1, 1), generator=g)
    bin_ = (torch.rand((b, 1, 1, 1), generator=g) < binar).float()
    out = bin_ * (out > t).float() + (1.0 - bin_) * out
    return out


def evaluate(net, xs, ys, batch=1024):
    net.eval()
    pred = []
    with torch.no_grad():
        for i in range(0, len(xs), batch):
            xb = torch.from_numpy(xs[i:i + batch]).float().unsqueeze(1) / 255.0
            pred.append(net(xb).argmax(1))
    pred = torch.cat(pred).numpy() if pred else np.empty(0, dtype=np.int64)
    return pred


def report(pred, ys):
    """Accuracy on real characters (reject excluded), reject recall, per-class accuracy."""
    real = ys != REJECT
    acc = float((pred[real] == ys[real]).mean()) if real.any() else float("nan")
    rej = ys == REJECT
    rej_acc = float((pred[rej] == REJECT).mean()) if rej.any() else float("nan")
    per = {}
    for c in range(NCLASS):
        m = ys == c
        if m.any():
            per[class_name(c)] = (float((pred[m] == c).mean()), int(m.sum()))
    return acc, rej_acc, per


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for b in iter(lambda: f.read(1 << 20), b""):
            h.update(b)
    return h.hexdigest()


def torch_version():
    v = torch.__version__
    try:
        deb = subprocess.run(["dpkg-query", "-W", "-f=${Version}", "python3-torch"],
                             capture_output=True, text=True, check=True).stdout.strip()
        if deb:
            v += " (Debian python3-torch %s)" % deb
    except (OSError, subprocess.CalledProcessError):
        pass
    return v


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", action="append", required=True, help="training dataset dir (repeatable)")
    ap.add_argument("--val", required=True, help="held-out dataset dir (generator seed >= 9000)")
    ap.add_argument("--out", required=True, help="output dir for chars.onnx and chars.json")
    ap.add_argument("--epochs", type=int, default=12)
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--aug-binarise", type=float, default=0.2, help="share of training images binarised at a random threshold")
    ap.add_argument("--aug-bold", type=float, default=0.0, help="share of training images with strokes made bolder")
    ap.add_argument("--limit", type=int, default=0, help="use only the first N training images (quick experiments)")
    ap.add_argument("--gen-package", default="github.com/vigil-cctv/vigil/ingest/analytics/anpr/plategen")
    ap.add_argument("--gen-version", default="", help="generator version (plategen.Version or git commit)")
    ap.add_argument("--gen-seed", type=int, action="append", default=[], help="training data seed(s), in --data order")
    ap.add_argument("--gen-count", type=int, action="append", default=[], help="images per --data dir, as asked of the generator")
    ap.add_argument("--gen-command", action="append", default=[], help="the exact generate command(s) for the --data dirs")
    ap.add_argument("--val-seed", type=int, default=None, help="generator seed of --val (>= 9000)")
    ap.add_argument("--save-state", default="", help="also save the torch state_dict here (for experiments)")
    ap.add_argument("--command", default="", help="training command to record (default: this invocation)")
    args = ap.parse_args()

    torch.manual_seed(args.seed)
    random.seed(args.seed)
    np.random.seed(args.seed)
    torch.set_num_threads(args.threads)
    torch.use_deterministic_algorithms(True)

    t0 = time.time()
    parts = [load_dir(d) for d in args.data]
    xs = np.concatenate([p[0] for p in parts])
    ys = np.concatenate([p[1] for p in parts])
    if args.limit:
        xs, ys = xs[:args.limit], ys[:args.limit]
    vx, vy = load_dir(args.val)
    counts = np.bincount(ys, minlength=NCLASS)
    print("train: %d images from %s; val: %d images from %s (%.1fs)" %
          (len(xs), ", ".join(args.data), len(vx), args.val, time.time() - t0), flush=True)
    missing = [class_name(c) for c in range(NCLASS) if counts[c] == 0]
    if missing:
        print("warning: no training images for classes %s" % " ".join(missing), flush=True)

    net = CharNet()
    opt = torch.optim.AdamW(net.parameters(), lr=args.lr, weight_decay=1e-4)
    steps = args.epochs * ((len(xs) + args.batch - 1) // args.batch)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=args.lr, total_steps=steps, pct_start=0.15)
    lossf = nn.CrossEntropyLoss(label_smoothing=0.05)
    g = torch.Generator()
    g.manual_seed(args.seed)
    tx = torch.from_numpy(xs)
    ty = torch.from_numpy(ys)
    for ep in range(args.epochs):
        net.train()
        t1 = time.time()
        perm = torch.randperm(len(xs), generator=g)
        tot, n = 0.0, 0
        for i in range(0, len(xs), args.batch):
            idx = perm[i:i + args.batch]
            xb = augment(tx[idx].float().unsqueeze(1) / 255.0, g, args.aug_binarise, args.aug_bold)
            loss = lossf(net(xb), ty[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            tot += float(loss) * len(idx)
            n += len(idx)
        acc, rej, _ = report(evaluate(net, vx, vy), vy)
        print("epoch %d/%d loss %.4f val chars %.4f reject %.4f (%.0fs)" %
              (ep + 1, args.epochs, tot / max(n, 1), acc, rej, time.time() - t1), flush=True)

    pred = evaluate(net, vx, vy)
    acc, rej, per = report(pred, vy)
    print("held-out: characters %.4f (%d), reject %.4f (%d)" %
          (acc, int((vy != REJECT).sum()), rej, int((vy == REJECT).sum())))
    print("per class: " + " ".join("%s %.3f/%d" % (k, a, m) for k, (a, m) in per.items()))
    conf = np.zeros((NCLASS, NCLASS), dtype=np.int64)
    np.add.at(conf, (vy, pred), 1)
    worst = [(conf[i, j], class_name(i), class_name(j)) for i in range(NCLASS) for j in range(NCLASS) if i != j and conf[i, j]]
    worst.sort(reverse=True)
    print("top confusions (true->pred): " + ", ".join("%s->%s %d" % (a, b, c) for c, a, b in worst[:15]))

    os.makedirs(args.out, exist_ok=True)
    if args.save_state:
        torch.save(net.state_dict(), args.save_state)
    onnx_path = os.path.join(args.out, "chars.onnx")
    model = WithSoftmax(net).eval()
    dummy = torch.ones(1, 1, H, W)
    torch.onnx.export(model, dummy, onnx_path, export_params=True, opset_version=11,
                      do_constant_folding=True, input_names=["input"], output_names=["probs"],
                      training=torch.onnx.TrainingMode.EVAL)
    # the exported graph must compute what the network does
    with torch.no_grad():
        ref = model(torch.from_numpy(vx[:1]).float().unsqueeze(1) / 255.0)
    assert ref.shape == (1, NCLASS)

    def seed_or_list(v):
        if not v:
            return None
        return v[0] if len(v) == 1 else v

    gen_meta = read_meta(args.data[0])
    prov = {
        "model": "chars.onnx",
        "sha256": sha256(onnx_path),
        "opset": 11,
        "input": {"name": "input", "shape": [1, 1, H, W], "type": "float32",
                  "value": "charimg.Tensor: pixel/255, 0 dark, 1 light, dark glyph on light background"},
        "output": {"name": "probs", "shape": [1, NCLASS], "type": "float32", "softmax": True},
        "classes": CLASSES + "_",
        "generator": {
            "package": args.gen_package,
            "version": args.gen_version,
            "seed": seed_or_list(args.gen_seed),
            "count": seed_or_list(args.gen_count) if args.gen_count else int(len(xs)),
            "command": " && ".join(args.gen_command),
        },
        "training": {
            "command": args.command or "/usr/bin/python3 " + " ".join(shlex.quote(a) for a in sys.argv),
            "torch": torch_version(),
            "epochs": args.epochs,
            "seed": args.seed,
            "images": int(len(xs)),
            "batch": args.batch,
            "lr": args.lr,
            "threads": args.threads,
            "augment": {"shift_px": 1, "binarise": args.aug_binarise, "bold": args.aug_bold},
        },
        "synthetic_test": {
            "seed": args.val_seed,
            "accuracy": round(acc, 4),
            "reject_accuracy": round(rej, 4) if rej == rej else None,
            "characters": int((vy != REJECT).sum()),
            "per_class": {k: round(a, 4) for k, (a, m) in per.items()},
        },
    }
    if gen_meta is not None:
        prov["generator"]["meta"] = gen_meta
    with open(os.path.join(args.out, "chars.json"), "w") as f:
        json.dump(prov, f, indent=2)
        f.write("\n")
    print("wrote %s (sha256 %s) and chars.json in %.0fs" % (onnx_path, prov["sha256"], time.time() - t0))


if __name__ == "__main__":
    main()
