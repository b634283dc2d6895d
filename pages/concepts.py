"""Concepts: what a GAN is, the game it plays, how one training iteration runs, and what the
source article's code gets wrong. Text only, no TensorFlow: this page opens at once."""

import streamlit as st

from pages import common

common.use_the_router()

# Teaching text lives here, apart from the layout below, so it can be translated as a whole.
TEXT = {
    "title": "How a GAN learns",
    "intro": (
        "A **generative adversarial network** (GAN, Goodfellow et al., 2014) learns to produce new "
        "data that looks like its training data — here, handwritten digits from MNIST. It does so "
        "with two neural networks that are trained *against each other*."
    ),
    "players": "The two players",
    "generator": (
        "**The generator G** is the forger. It takes a vector of random numbers $z$ (the *latent "
        "vector*, drawn from a standard normal distribution) and turns it into a 28×28 image. It "
        "never sees a real digit: everything it learns comes from the discriminator's verdicts."
    ),
    "discriminator": (
        "**The discriminator D** is the detective. It looks at an image and outputs the "
        "probability $D(x)$ that it is a real training digit rather than one of G's forgeries. It "
        "sees both real digits and fakes, and learns to tell them apart."
    ),
    "game": (
        "**The adversarial game.** D is rewarded for catching fakes; G is rewarded for fooling D. "
        "As D gets better at spotting flaws, G is pushed to remove them. If training goes well the "
        "game ends in a stalemate: G's digits are indistinguishable from real ones and D can do "
        "no better than guess, $D(x) = \\tfrac12$ everywhere."
    ),
    "flow": "The data flow",
    "flow_caption": (
        "Solid arrows: what is computed. Dashed arrows: which network each loss updates. D's loss "
        "changes only D's weights; G's loss is computed *through* D but changes only G's weights."
    ),
    "maths": "The value function",
    "minimax": (
        "The original paper writes the game as a minimax problem. D maximises $V$ (it wants "
        "$D(x) \\to 1$ on real digits and $D(G(z)) \\to 0$ on fakes); G minimises it:"
    ),
    "optimum": (
        "For a fixed G the best discriminator is the ratio below, and plugging it back in shows "
        "that G is then minimising the Jensen–Shannon divergence between the real distribution "
        "and its own: the minimum, $-\\log 4$, is reached exactly when $p_g = p_{\\text{data}}$."
    ),
    "nonsat": (
        "**The non-saturating generator loss.** Early in training D easily rejects G's clumsy "
        "digits, so $D(G(z)) \\approx 0$ — and $\\log(1 - D(G(z)))$ is almost flat there: G gets "
        "almost no gradient. The paper's fix, used by nearly every GAN since and by this app's "
        "default `nonsat` loss, is to let G *maximise* $\\log D(G(z))$ instead. It has the same "
        "fixed point but strong gradients exactly when G is losing. Writing $D = \\sigma(a)$ with "
        "$a$ the discriminator's logit:"
    ),
    "d_loss": "D's loss is the usual binary cross-entropy, real digits labelled 1 and fakes 0:",
    "loop": "One training iteration, in six steps",
    "loop_note": (
        "With **D steps per G step** greater than 1, steps 1–4 repeat that many times before G "
        "moves, as in the original algorithm. An *epoch* is one pass over the training digits."
    ),
    "good_bad": "Strengths and failure modes",
    "uses": "Where GANs are used",
    "uses_note": (
        "Since about 2021, diffusion models have replaced GANs for most high-quality image "
        "generation: they train more stably and cover the data better. GANs remain the fastest "
        "generators (one forward pass instead of dozens of denoising steps), and adversarial "
        "losses live on in super-resolution, vocoders and distilled diffusion models."
    ),
    "article": "What the article's printed code gets wrong",
    "article_intro": (
        "The article this app is built from prints an MNIST DCGAN in TensorFlow that does not run "
        "as printed. The four problems, and what this app does instead:"
    ),
    "article_fix": (
        "**How this app trains.** There is no combined model at all. Following the keras.io DCGAN "
        "example, the GAN is a `keras.Model` subclass with its own `train_step` and one Adam "
        "optimiser per network. D's step records its loss on a gradient tape and applies the "
        "gradients to `discriminator.trainable_variables` only. G's step computes its loss "
        "through D — the gradients must flow through D to reach G — but applies them to "
        "`generator.trainable_variables` only, so D cannot change while G trains: nothing to "
        "freeze, nothing to forget to compile. Discriminators output logits and the losses use "
        "the numerically stable cross-entropy on logits."
    ),
    "faq": "Frequently asked questions",
    "next": "Train a GAN yourself →",
}

EQUATIONS = {
    "minimax": r"\min_G \max_D V(D, G) = \mathbb{E}_{x \sim p_{\text{data}}}\big[\log D(x)\big]"
               r" + \mathbb{E}_{z \sim p_z}\big[\log\big(1 - D(G(z))\big)\big]",
    "optimum": r"D^*_G(x) = \frac{p_{\text{data}}(x)}{p_{\text{data}}(x) + p_g(x)}, \qquad"
               r" V(D^*_G, G) = -\log 4 + 2\,\mathrm{JSD}\big(p_{\text{data}} \,\|\, p_g\big)",
    "nonsat": r"\mathcal{L}_G^{\text{minimax}} = \mathbb{E}_z\big[\log(1 - D(G(z)))\big]"
              r"\quad\longrightarrow\quad \mathcal{L}_G^{\text{non-sat}} = -\mathbb{E}_z\big[\log D(G(z))\big]",
    "gradients": r"\frac{\partial}{\partial a} \log\big(1 - \sigma(a)\big) = -\sigma(a) \to 0, \qquad"
                 r"\frac{\partial}{\partial a} \big({-\log \sigma(a)}\big) = -\big(1 - \sigma(a)\big) \to -1"
                 r"\qquad \text{as } D = \sigma(a) \to 0",
    "d_loss": r"\mathcal{L}_D = -\mathbb{E}_{x}\big[\log D(x)\big] - \mathbb{E}_{z}\big[\log\big(1 - D(G(z))\big)\big]",
}

STEPS = [
    "**Sample real digits**: take a minibatch of $m$ images $x$ from the training set.",
    "**Sample noise**: draw $m$ latent vectors $z \\sim \\mathcal{N}(0, I)$.",
    "**Forge and judge**: compute the fakes $G(z)$ and D's verdicts $D(x)$ and $D(G(z))$.",
    "**Update D**: one optimiser step on $\\mathcal{L}_D$ — D's weights only; G stays as it is.",
    "**Forge again and score**: fresh noise, new fakes, and G's loss $-\\log D(G(z))$ computed through D.",
    "**Update G**: one optimiser step on G's weights only; D's weights are not touched.",
]

STRENGTHS = [
    "**Sharp samples.** G is judged by a learned critic, not by pixel-wise error, so it does not "
    "blur its output towards an average digit.",
    "**Fast sampling.** One forward pass of G per image.",
    "**No likelihood needed.** G only has to produce samples; no density has to be written down.",
    "**A meaningful latent space.** Nearby $z$ give similar digits; walking between two points "
    "morphs one digit into another (try it on the Sample page).",
    "**Control.** A *conditional* GAN also feeds the class label to G and D, so you can ask for a 7.",
]

FAILURES = [
    "**Mode collapse.** G finds a few outputs that fool D and produces only those — say, only 1s "
    "and 7s. D catches up, G hops to another few, and the game cycles. On the Live page this "
    "shows as missing classes in the histogram.",
    "**Vanishing gradients.** If D wins too clearly, its verdicts saturate and G gets no useful "
    "gradient. The non-saturating loss, one-sided label smoothing and a D that is not much "
    "stronger than G help.",
    "**Instability.** Two players optimising against each other need not converge: losses "
    "oscillate and quality can get worse after getting better. DCGAN's recipe (Adam with "
    "learning rate 2·10⁻⁴ and β₁ = 0.5, batch normalisation in G, LeakyReLU in D), Wasserstein "
    "losses with a gradient penalty, and an averaged copy of G (EMA) all make training steadier.",
    "**Hard to evaluate.** The losses do not say how good the digits are. This app scores them "
    "with a small MNIST classifier (a Fréchet distance and a classifier score) instead.",
]

USES = {
    "Art": "Artists train GANs on their own collections and explore the latent space as a medium. The "
           "GAN portrait *Edmond de Belamy* (Obvious, 2018) sold at Christie's; Refik Anadol's "
           "*Machine Hallucinations* were made with StyleGAN; Artbreeder lets anyone breed images "
           "with BigGAN and StyleGAN.",
    "Images": "Photorealistic faces (StyleGAN), super-resolution (SRGAN, ESRGAN), image-to-image "
              "translation such as sketch → photo or summer → winter (pix2pix, CycleGAN), inpainting.",
    "Video": "Frame synthesis and motion transfer (vid2vid, MoCoGAN) — and deepfakes, which is why "
             "detecting generated media has become a field of its own.",
    "Music and audio": "Multi-track music (MuseGAN), instrument sounds (GANSynth) and fast neural "
                       "vocoders that turn spectrograms into speech (HiFi-GAN).",
    "Text": "Hard for GANs: words are discrete, so gradients cannot flow from D through the sampling "
            "of a token. SeqGAN worked around it with reinforcement learning; transformers took over.",
}

ARTICLE_BUGS = [
    ("An undefined `Reshape`",
     "The generator calls `Reshape` without importing it, so the script stops with a `NameError`. "
     "It is `keras.layers.Reshape((7, 7, 256))`: it turns the Dense layer's vector into a 7×7 "
     "feature map for the transposed convolutions."),
    ("A `Flatten` straight after a `Dense`",
     "A Dense layer's output is already a flat vector, so this Flatten does nothing: the layers "
     "are out of order. `Flatten` belongs after the discriminator's convolutions, turning their "
     "feature maps into the vector the final `Dense(1)` reads."),
    ("A combined model never compiled",
     "The recipe stacks D on G as one model and calls `train_on_batch` on it, but never calls "
     "`compile()`. Keras refuses to train an uncompiled model: no loss, no optimiser."),
    ("A discriminator never frozen",
     "When the combined model trains G with fakes labelled *real*, D must be frozen "
     "(`discriminator.trainable = False` before compiling the combined model). Otherwise every G "
     "step also teaches D that fakes are real — D is sabotaged and the game falls apart."),
]

FAQ = [
    ("What loss values mean the GAN is good?",
     "None by themselves: the losses measure the game, not the digits. At the stalemate D outputs "
     "½ for everything, so D(x) ≈ D(G(z)) ≈ 0.5 and D's loss ≈ 2 log 2 ≈ 1.39. A D loss near 0 "
     "means D is winning and G is stuck. Judge by the samples and the quality scores."),
    ("Why does the generator need random noise?",
     "G is a deterministic function. The noise is what makes every digit different: each latent "
     "vector maps to one image, and the distribution of $z$ becomes a distribution of digits."),
    ("Why Adam with β₁ = 0.5?",
     "The DCGAN paper (Radford et al., 2015) found the default momentum of 0.9 made training "
     "oscillate; 0.5 with a learning rate of 2·10⁻⁴ was steadier. The Tutorial preset keeps the "
     "TensorFlow tutorial's own choice (learning rate 10⁻⁴, β₁ = 0.9) for comparison."),
    ("What does label smoothing do?",
     "One-sided label smoothing trains D to say 0.9 instead of 1 for real digits (Salimans et al., "
     "2016), so it cannot become over-confident and G keeps receiving useful gradients."),
    ("How is a GAN different from a VAE or a diffusion model?",
     "A VAE maximises a bound on the likelihood and tends to blur. A diffusion model learns to "
     "remove noise step by step: stable and diverse, but slow to sample. A GAN samples in one "
     "step and is sharp, but is the hardest of the three to train."),
    ("Do I need a GPU?",
     "No. The Quick preset trains a small DCGAN on a laptop CPU in a couple of minutes, and "
     "recognisable digits appear after a few epochs."),
]

DIAGRAM = """
digraph GAN {
  rankdir=LR; bgcolor="transparent";
  node [shape=box, style="rounded,filled", fontname="Helvetica", fontsize=12, fillcolor="#f3f4f6"];
  edge [fontname="Helvetica", fontsize=10];
  z [label="noise z ~ N(0, I)", shape=ellipse, fillcolor="#fef3c7"];
  G [label="Generator G", fillcolor="#dbeafe"];
  fake [label="fake digits G(z)"];
  real [label="real MNIST digits x"];
  D [label="Discriminator D", fillcolor="#fee2e2"];
  p [label="D(·) = P(real)", shape=ellipse, fillcolor="#fef3c7"];
  z -> G -> fake -> D;
  real -> D;
  D -> p;
  p -> D [label="D loss: update D only", style=dashed, color="#b91c1c", fontcolor="#b91c1c"];
  p -> G [label="G loss: update G only", style=dashed, color="#1d4ed8", fontcolor="#1d4ed8"];
}
"""

st.title(TEXT["title"])
st.markdown(TEXT["intro"])

st.header(TEXT["players"])
left, right = st.columns(2)
left.markdown(TEXT["generator"])
right.markdown(TEXT["discriminator"])
st.markdown(TEXT["game"])

st.subheader(TEXT["flow"])
st.graphviz_chart(DIAGRAM, width="stretch")
st.caption(TEXT["flow_caption"])

st.header(TEXT["maths"])
st.markdown(TEXT["minimax"])
st.latex(EQUATIONS["minimax"])
st.markdown(TEXT["optimum"])
st.latex(EQUATIONS["optimum"])
st.markdown(TEXT["d_loss"])
st.latex(EQUATIONS["d_loss"])
st.markdown(TEXT["nonsat"])
st.latex(EQUATIONS["nonsat"])
st.latex(EQUATIONS["gradients"])

st.header(TEXT["loop"])
st.markdown("\n".join(f"{i}. {step}" for i, step in enumerate(STEPS, start=1)))
st.info(TEXT["loop_note"])

st.header(TEXT["good_bad"])
strengths, failures = st.columns(2)
with strengths:
    st.subheader("Strengths")
    st.markdown("\n".join(f"- {item}" for item in STRENGTHS))
with failures:
    st.subheader("Failure modes")
    st.markdown("\n".join(f"- {item}" for item in FAILURES))

st.header(TEXT["uses"])
for tab, text in zip(st.tabs(list(USES)), USES.values(), strict=True):
    tab.markdown(text)
st.caption(TEXT["uses_note"])

st.header(TEXT["article"])
st.markdown(TEXT["article_intro"])
for title, explanation in ARTICLE_BUGS:
    st.markdown(f"**{title}.** {explanation}")
st.success(TEXT["article_fix"])

st.header(TEXT["faq"])
for question, answer in FAQ:
    with st.expander(question):
        st.markdown(answer)

st.page_link("pages/train.py", label=TEXT["next"], icon="🏋️")
