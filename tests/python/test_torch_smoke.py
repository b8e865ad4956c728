"""A PyTorch training loop on the loader's batches: a tiny CPU model (image
and token embeddings) trained for a few steps over two epochs. The loss must
be finite and go down; the batches must be usable as they come (torch
tensors, the shapes the model expects) with a bad image in the data."""

from __future__ import annotations

import math

import pytest

import mimicit
from test_loader import ByteTokenizer, write_data

torch = pytest.importorskip("torch")


class TinyModel(torch.nn.Module):
    """Predicts each image's mean colour from the pixels (a target the model
    can learn in a few steps) plus a text term, so both inputs matter."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = torch.nn.Conv2d(3, 8, 3, stride=2)
        self.head = torch.nn.Linear(8, 3)
        self.tokens = torch.nn.Embedding(259, 3)

    def forward(self, patch_images, image_counts, input_ids, attention_masks):
        batch, _, slots = patch_images.shape[:3]
        frames = patch_images.flatten(0, 2)  # (B * N, 3, S, S)
        features = torch.relu(self.conv(frames)).mean(dim=(2, 3))
        colour = self.head(features).view(batch, slots, 3)
        # Only the sample's own images count (the rest are zero padding).
        valid = (torch.arange(slots)[None, :] < image_counts[:, None]).float()
        colour = (colour * valid[..., None]).sum(1) / valid.sum(1, keepdim=True)
        text = (self.tokens(input_ids) * attention_masks[..., None]).mean(1)
        return colour + 0.01 * text


def targets(patch_images, image_counts):
    batch, _, slots = patch_images.shape[:3]
    means = patch_images.mean(dim=(4, 5)).view(batch, slots, 3)
    valid = (torch.arange(slots)[None, :] < image_counts[:, None]).float()
    return (means * valid[..., None]).sum(1) / valid.sum(1, keepdim=True)


def test_tiny_model_trains_on_loader_batches(tmp_path):
    data = write_data(tmp_path, image_records=32, text_records=0, video_records=0, corrupt=("LA_IMG_0005_0",),
                      size=(64, 48))
    torch.manual_seed(0)
    model = TinyModel()
    optimizer = torch.optim.Adam(model.parameters(), lr=0.02)
    loader = mimicit.Loader(data["yaml"], 8, groups=["IMAGE_TEXT"], image_size=32, num_threads=2,
                            tokenizer=ByteTokenizer(), max_seq_len=64, rank=0, world_size=1)
    losses = []
    for epoch in range(3):
        loader.set_epoch(epoch)
        for batch in loader:
            net = batch["net_input"]
            assert net["patch_images"].shape[1:] == (1, net["patch_images"].shape[2], 3, 32, 32)
            prediction = model(net["patch_images"], batch["image_counts"], net["input_ids"],
                               net["attention_masks"])
            loss = torch.nn.functional.mse_loss(prediction, targets(net["patch_images"], batch["image_counts"]))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
    assert len(losses) == 3 * 4
    assert all(math.isfinite(v) for v in losses)
    assert sum(losses[-3:]) < sum(losses[:3])
    assert loader.error_count >= 1 and {e["id"] for e in loader.errors()} == {"LA_INS_00005"}
