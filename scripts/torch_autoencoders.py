"""PyTorch twins of Braid's MNIST autoencoders: the same layers, batch and optimiser, trained and timed on the same
machine as Braid, then (with --eval) scored on the 8,000 test digits.

  python torch_autoencoders.py --model ae --epochs 10 --threads 2 --eval
  python torch_autoencoders.py --model vqvae --epochs 1 --threads 2 --mnist ../shared/data/mnist

Prints one JSON line: the model, the epochs, seconds_per_epoch (the mean over the epochs; only the training epochs
are timed, with every image already a tensor in memory), and with --eval the test metrics.

Training: MNIST's 60,000 training digits, pixels / 255, no augmentation; each epoch a fresh shuffle from the seeded
generator, batches of 128 with the last, partial batch dropped (as Braid's loop does: 468 steps, 59,904 digits);
Adam, learning rate 1e-3, no schedule, no clipping, no weight decay.

  ae     784-128 ReLU, 128-32 (the linear code), 32-128 ReLU, 128-784 sigmoid; loss: binary cross-entropy, the
         mean per pixel (computed on the logits, which is the same function, kept finite).
  dae    the ae's network; input clip(x + N(0, 0.5^2), 0, 1), fresh noise every batch; target the clean x.
  vae    784-256 ReLU, heads 256-16 (mu) and 256-16 (log variance); z = mu + exp(logvar / 2) eps; decoder 16-256
         ReLU, 256-784 sigmoid; loss: the binary cross-entropy summed over the pixels, plus the KL divergence to
         N(0, I) (beta 1), the mean over the batch.
  vqvae  encoder conv 4x4/2 1-32 ReLU, conv 4x4/2 32-64 ReLU, conv 3x3 64-64 ReLU, conv 1x1 64-16: a 7x7 grid of
         16-d vectors; a codebook of 64 codes of 16 (initialised uniform in +-1/64), each vector replaced by its
         nearest code, gradients passed straight through; decoder conv 3x3 16-64 ReLU, transposed conv 4x4/2 64-32
         ReLU, transposed conv 4x4/2 32-1 sigmoid; loss: MSE(reconstruction, x) + MSE(q, sg(z)) + 0.25 MSE(z, sg(q)).

Test metrics (--eval), on the 8,000 test digits:
  ae     mse_per_pixel, bce_per_pixel; knn5_accuracy: 5 nearest neighbours (Euclidean) of each test digit's 32-d code
         among the codes of all 60,000 training digits, majority vote (a tie goes to the tied class holding the
         nearest of the five); knn5_raw_pixels: the same on the 784 raw pixels.
  dae    psnr_noisy (the noisy input against the clean digit), psnr_denoised (the output against the clean digit);
         the noise is drawn from a generator seeded with --seed, so every run sees the same noisy digits. PSNR is
         10 log10(1 / MSE) per image, then averaged over the images; psnr_noisy_pooled and psnr_denoised_pooled
         are the same from the one MSE over all the pixels of all the images (lower: log of a mean >= mean of logs).
  vae    neg_elbo: per image, the binary cross-entropy summed over the pixels plus the KL divergence, the mean over
         10 draws of z per image (seeded), then over the images, in nats; bce and kl are its two parts.
  vqvae  mse_per_pixel; perplexity: exp of the entropy of the code-usage histogram over all 8,000 x 49 grid
         positions; codes_used: the codes chosen at least once.
"""
import argparse
import gzip
import json
import math
import os
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

DEFAULT_MNIST = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "shared", "data", "mnist")


def idx(path):
    """An IDX file (gzip) as a numpy array: big-endian header, type 0x08 (unsigned byte), then the dimensions."""
    with gzip.open(path, "rb") as file:
        data = file.read()
    if data[0] != 0 or data[1] != 0 or data[2] != 0x08:
        raise ValueError(f"{path}: not an unsigned-byte IDX file")
    rank = data[3]
    shape = tuple(int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(rank))
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * rank).reshape(shape)


def mnist(folder, split):
    """(images as float32 N x 784 in [0, 1], labels as int64 N)."""
    images = idx(os.path.join(folder, f"{split}-images-idx3-ubyte.gz"))
    labels = idx(os.path.join(folder, f"{split}-labels-idx1-ubyte.gz"))
    assert images.shape[0] == labels.shape[0], "images and labels differ in count"
    pixels = torch.from_numpy(images.reshape(images.shape[0], -1).astype(np.float32) / 255)
    return pixels, torch.from_numpy(labels.astype(np.int64))


class Autoencoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.encoder = nn.Sequential(nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 32))
        self.decoder = nn.Sequential(nn.Linear(32, 128), nn.ReLU(), nn.Linear(128, 784))

    def encode(self, x):
        return self.encoder(x)

    def forward(self, x):
        """The logits of the reconstruction (its sigmoid is the output)."""
        return self.decoder(self.encoder(x))


class VAE(nn.Module):
    def __init__(self, latent=16):
        super().__init__()
        self.hidden = nn.Linear(784, 256)
        self.mu = nn.Linear(256, latent)
        self.logvar = nn.Linear(256, latent)
        self.decoder = nn.Sequential(nn.Linear(latent, 256), nn.ReLU(), nn.Linear(256, 784))

    def encode(self, x):
        h = F.relu(self.hidden(x))
        return self.mu(h), self.logvar(h)

    def forward(self, x, generator=None):
        mu, logvar = self.encode(x)
        eps = torch.randn(mu.shape, generator=generator)
        return self.decoder(mu + torch.exp(0.5 * logvar) * eps), mu, logvar


def vae_terms(logits, x, mu, logvar):
    """Per image: the binary cross-entropy summed over the pixels, and the KL divergence to N(0, I)."""
    bce = F.binary_cross_entropy_with_logits(logits, x, reduction="none").sum(dim=1)
    kl = -0.5 * (1 + logvar - mu.pow(2) - logvar.exp()).sum(dim=1)
    return bce, kl


class VQVAE(nn.Module):
    def __init__(self, codes=64, width=16):
        super().__init__()
        self.encoder = nn.Sequential(
            nn.Conv2d(1, 32, 4, stride=2, padding=1), nn.ReLU(),
            nn.Conv2d(32, 64, 4, stride=2, padding=1), nn.ReLU(),
            nn.Conv2d(64, 64, 3, padding=1), nn.ReLU(),
            nn.Conv2d(64, width, 1))
        self.codebook = nn.Embedding(codes, width)
        nn.init.uniform_(self.codebook.weight, -1 / codes, 1 / codes)
        self.decoder = nn.Sequential(
            nn.Conv2d(width, 64, 3, padding=1), nn.ReLU(),
            nn.ConvTranspose2d(64, 32, 4, stride=2, padding=1), nn.ReLU(),
            nn.ConvTranspose2d(32, 1, 4, stride=2, padding=1), nn.Sigmoid())

    def quantise(self, z):
        """z (B, D, H, W) -> (the nearest codes in z's layout, their indices (B, H, W))."""
        b, d, h, w = z.shape
        flat = z.permute(0, 2, 3, 1).reshape(-1, d)
        book = self.codebook.weight
        distances = flat.pow(2).sum(1, keepdim=True) - 2 * flat @ book.t() + book.pow(2).sum(1)
        indices = distances.argmin(dim=1)
        q = self.codebook(indices).view(b, h, w, d).permute(0, 3, 1, 2)
        return q, indices.view(b, h, w)

    def forward(self, x):
        z = self.encoder(x)
        q, indices = self.quantise(z)
        straight = z + (q - z).detach()
        return self.decoder(straight), z, q, indices


def make(model):
    return {"ae": Autoencoder, "dae": Autoencoder, "vae": VAE, "vqvae": VQVAE}[model]()


def noisy(x, generator=None):
    return (x + 0.5 * torch.randn(x.shape, generator=generator)).clamp_(0, 1)


def loss(model, net, x):
    if model == "ae":
        return F.binary_cross_entropy_with_logits(net(x), x)
    if model == "dae":
        return F.binary_cross_entropy_with_logits(net(noisy(x)), x)
    if model == "vae":
        logits, mu, logvar = net(x)
        bce, kl = vae_terms(logits, x, mu, logvar)
        return (bce + kl).mean()
    images = x.view(-1, 1, 28, 28)
    reconstruction, z, q, _ = net(images)
    return F.mse_loss(reconstruction, images) + F.mse_loss(q, z.detach()) + 0.25 * F.mse_loss(z, q.detach())


def train(args, net, images):
    optimizer = torch.optim.Adam(net.parameters(), lr=1e-3)
    steps = images.shape[0] // args.batch_size
    seconds, losses = [], []
    net.train()
    for _ in range(args.epochs):
        start = time.perf_counter()
        order = torch.randperm(images.shape[0])
        total = torch.zeros(())
        for step in range(steps):
            x = images[order[step * args.batch_size:(step + 1) * args.batch_size]]
            optimizer.zero_grad()
            value = loss(args.model, net, x)
            value.backward()
            optimizer.step()
            total += value.detach()
        seconds.append(time.perf_counter() - start)
        losses.append(total.item() / steps)
    return seconds, losses, steps * args.batch_size


def batches(tensor, size=1000):
    return torch.split(tensor, size)


def knn_accuracy(index, index_labels, queries, query_labels, k=5, chunk=500):
    """Majority vote of the k nearest (Euclidean) index rows; a tie goes to the tied class with the nearest member."""
    index_norms = index.pow(2).sum(1)
    correct = 0
    for start in range(0, queries.shape[0], chunk):
        q = queries[start:start + chunk]
        distances = q.pow(2).sum(1, keepdim=True) - 2 * q @ index.t() + index_norms
        nearest = distances.topk(k, dim=1, largest=False).indices  # sorted, nearest first
        votes = index_labels[nearest]  # (chunk, k)
        counts = F.one_hot(votes, 10).sum(1)  # (chunk, 10)
        # Among the classes with the most votes, the first to appear in the nearest-first list wins.
        top = counts.max(1, keepdim=True).values
        tied = (counts.gather(1, votes) == top)  # (chunk, k): is this neighbour's class among the leaders?
        first = tied.float().argmax(1, keepdim=True)
        predicted = votes.gather(1, first).squeeze(1)
        correct += (predicted == query_labels[start:start + chunk]).sum().item()
    return correct / queries.shape[0]


def evaluate(args, net, train_images, train_labels, test_images, test_labels):
    net.eval()
    generator = torch.Generator().manual_seed(args.seed)
    with torch.inference_mode():
        if args.model == "ae":
            outputs = torch.cat([net(x) for x in batches(test_images)])
            bce = F.binary_cross_entropy_with_logits(outputs, test_images).item()
            mse = F.mse_loss(torch.sigmoid(outputs), test_images).item()
            train_codes = torch.cat([net.encode(x) for x in batches(train_images)])
            test_codes = torch.cat([net.encode(x) for x in batches(test_images)])
            return {"mse_per_pixel": mse, "bce_per_pixel": bce,
                    "knn5_accuracy": knn_accuracy(train_codes, train_labels, test_codes, test_labels),
                    "knn5_raw_pixels": knn_accuracy(train_images, train_labels, test_images, test_labels)}
        if args.model == "dae":
            inputs = noisy(test_images, generator)
            outputs = torch.sigmoid(torch.cat([net(x) for x in batches(inputs)]))

            def psnr(y):  # per image, then the mean over the images
                return (10 * torch.log10(1 / (y - test_images).pow(2).mean(1))).mean().item()

            def pooled(y):  # from the MSE over all the pixels of all the images
                return 10 * math.log10(1 / (y - test_images).pow(2).mean().item())

            return {"psnr_noisy": psnr(inputs), "psnr_denoised": psnr(outputs),
                    "psnr_noisy_pooled": pooled(inputs), "psnr_denoised_pooled": pooled(outputs)}
        if args.model == "vae":
            draws = 10
            bce_sum = torch.zeros(test_images.shape[0])
            kl_sum = torch.zeros(test_images.shape[0])
            for _ in range(draws):
                parts = []
                for x in batches(test_images):
                    logits, mu, logvar = net(x, generator)
                    parts.append(vae_terms(logits, x, mu, logvar))
                bce_sum += torch.cat([bce for bce, _ in parts])
                kl_sum += torch.cat([kl for _, kl in parts])
            bce, kl = (bce_sum / draws).mean().item(), (kl_sum / draws).mean().item()
            return {"neg_elbo": bce + kl, "bce": bce, "kl": kl}
        images = test_images.view(-1, 1, 28, 28)
        codes, squared = [], 0.0
        for x in batches(images):
            reconstruction, _, _, indices = net(x)
            squared += (reconstruction - x).pow(2).sum().item()
            codes.append(indices.flatten())
        counts = torch.bincount(torch.cat(codes), minlength=net.codebook.num_embeddings).double()
        p = counts / counts.sum()
        entropy = -(p[p > 0] * p[p > 0].log()).sum().item()
        return {"mse_per_pixel": squared / images.numel(), "perplexity": math.exp(entropy),
                "codes_used": int((counts > 0).sum().item())}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", choices=["ae", "dae", "vae", "vqvae"], required=True)
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--eval", action="store_true", help="score the trained net on the 8,000 test digits")
    parser.add_argument("--mnist", default=DEFAULT_MNIST, help="the folder of the four MNIST IDX files (gzip)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)

    train_images, train_labels = mnist(args.mnist, "train")
    test_images, test_labels = mnist(args.mnist, "test") if args.eval else (None, None)
    net = make(args.model)
    seconds, losses, examples = train(args, net, train_images)
    result = {"model": args.model, "epochs": args.epochs, "seconds_per_epoch": sum(seconds) / len(seconds),
              "peer": f"pytorch {torch.__version__}", "threads": args.threads, "seed": args.seed,
              "examples_per_epoch": examples, "epoch_seconds": [round(s, 3) for s in seconds],
              "training_loss": losses}
    if args.eval:
        result["test_examples"] = test_images.shape[0]
        result.update(evaluate(args, net, train_images, train_labels, test_images, test_labels))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
