import ArgumentParser

extension BraidCommand {
    struct Train: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Train a model on your own data with Braid's training loop.",
            discussion: """
                Every model trains through one loop: seeded shuffling, AdamW with warm-up and cosine decay, gradient \
                clipping, random augmentation, a validation split that picks the best epoch, and checkpoints that \
                '--resume' continues. The output folder is a model folder: name it wherever a model is named.

                Examples:
                  braid train classifier --modality image --data digits/ --out runs/digits
                  braid train classifier --modality audio --data recordings/ --label-pattern '^(\\d)_' --out runs/spoken
                  braid train classifier --resume runs/digits
                  braid train vae --data train-images-idx3-ubyte.gz --out runs/vae
                """,
            subcommands: [
                Classifier.self, Autoencoder.self, DenoisingAutoencoder.self, VAE.self, VQVAE.self, CodePrior.self, Fusion.self,
                Caption.self, Diffusion.self,
            ])
    }
}
