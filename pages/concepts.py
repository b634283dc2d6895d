"""Concepts: where GANs come from, what a GAN is, the game it plays (and a toy GAN playing it,
pages/toy_view.py) and its mathematics, one training iteration, uses and open problems, and what the
source article's code gets wrong. No TensorFlow: this page opens at once. Its words are in
locales/; the equations are below."""

import streamlit as st

from ui import common, toy_view
from ui.i18n import names, t

common.use_the_router()

# Mathematics reads the same in every language, so it lives here rather than in the catalogues.
EQUATIONS = {
    "minimax": r"\min_G \max_D V(D, G) = \mathbb{E}_{x \sim p_{\text{data}}}\big[\log D(x)\big]"
               r" + \mathbb{E}_{z \sim p_z}\big[\log\big(1 - D(G(z))\big)\big]",
    "integral": r"V(D, G) = \int_x \Big( p_{\text{data}}(x) \log D(x) + p_g(x) \log\big(1 - D(x)\big) \Big)\, dx",
    "pointwise": r"\frac{d}{dy}\Big(a \log y + b \log(1 - y)\Big) = \frac{a}{y} - \frac{b}{1 - y} = 0"
                 r"\quad\Longrightarrow\quad y^* = \frac{a}{a + b}",
    "optimum": r"D^*_G(x) = \frac{p_{\text{data}}(x)}{p_{\text{data}}(x) + p_g(x)}",
    "jsd": r"\begin{aligned} V(D^*_G, G) &= \mathbb{E}_{x \sim p_{\text{data}}}"
           r"\Big[\log \frac{p_{\text{data}}(x)}{p_{\text{data}}(x) + p_g(x)}\Big]"
           r" + \mathbb{E}_{x \sim p_g}\Big[\log \frac{p_g(x)}{p_{\text{data}}(x) + p_g(x)}\Big] \\"
           r" &= -\log 4 + \mathrm{KL}\big(p_{\text{data}} \,\|\, m\big) + \mathrm{KL}\big(p_g \,\|\, m\big) \\"
           r" &= -\log 4 + 2\,\mathrm{JSD}\big(p_{\text{data}} \,\|\, p_g\big) \end{aligned}",
    "d_loss": r"\mathcal{L}_D = -\mathbb{E}_{x}\big[\log D(x)\big] - \mathbb{E}_{z}\big[\log\big(1 - D(G(z))\big)\big]",
    "nonsat": r"\mathcal{L}_G^{\text{minimax}} = \mathbb{E}_z\big[\log(1 - D(G(z)))\big]"
              r"\quad\longrightarrow\quad \mathcal{L}_G^{\text{non-sat}} = -\mathbb{E}_z\big[\log D(G(z))\big]",
    "gradients": r"\frac{\partial}{\partial a} \log\big(1 - \sigma(a)\big) = -\sigma(a) \to 0, \qquad"
                 r"\frac{\partial}{\partial a} \big({-\log \sigma(a)}\big) = -\big(1 - \sigma(a)\big) \to -1"
                 r"\qquad \big(D = \sigma(a) \to 0\big)",
}


def diagram() -> str:
    """The data flow as Graphviz DOT, labelled in the session's language."""
    label = {name: t(f"concepts.flow.{name}") for name in names("concepts.flow")}
    return f"""
digraph GAN {{
  rankdir=LR; bgcolor="transparent";
  node [shape=box, style="rounded,filled", fontname="Helvetica", fontsize=12, fillcolor="#f3f4f6"];
  edge [fontname="Helvetica", fontsize=10];
  z [label="{label['noise']}", shape=ellipse, fillcolor="#fef3c7"];
  G [label="{label['generator']}", fillcolor="#dbeafe"];
  fake [label="{label['fake']}"];
  real [label="{label['real']}"];
  D [label="{label['discriminator']}", fillcolor="#fee2e2"];
  p [label="{label['verdict']}", shape=ellipse, fillcolor="#fef3c7"];
  z -> G -> fake -> D;
  real -> D;
  D -> p;
  p -> D [label="{label['d_update']}", style=dashed, color="#b91c1c", fontcolor="#b91c1c"];
  p -> G [label="{label['g_update']}", style=dashed, color="#1d4ed8", fontcolor="#1d4ed8"];
}}
"""


def bullets(prefix: str) -> str:
    return "\n".join(f"- {t(f'{prefix}.{name}')}" for name in names(prefix))


st.title(t("concepts.title"))
st.markdown(t("concepts.intro"))

st.header(t("concepts.background.title"))
st.markdown(t("concepts.background.body"))
st.markdown(t("concepts.background.plan"))

st.header(t("concepts.fields.title"))
for column, field in zip(st.columns(4), ("ai", "ml", "cg", "xr"), strict=True):
    column.container(border=True, height="stretch").markdown(t(f"concepts.fields.{field}"))
st.markdown(t("concepts.fields.relation"))

st.header(t("concepts.players.title"))
left, right = st.columns(2)
left.markdown(t("concepts.players.generator"))
right.markdown(t("concepts.players.discriminator"))
st.markdown(t("concepts.players.game"))

st.subheader(t("concepts.flow.title"))
st.graphviz_chart(diagram(), width="stretch")
st.caption(t("concepts.flow.caption"))

toy_view.show()  # the game made visible, before the loop and the mathematics that explain it

st.header(t("concepts.loop.title"))
st.markdown("\n".join(f"{i}. {t(f'concepts.loop.steps.{step}')}"
                      for i, step in enumerate(names("concepts.loop.steps"), start=1)))
st.info(t("concepts.loop.note"))

st.header(t("concepts.maths.title"))
st.markdown(t("concepts.maths.minimax"))
st.latex(EQUATIONS["minimax"])
st.markdown(t("concepts.maths.integral"))
st.latex(EQUATIONS["integral"])
st.markdown(t("concepts.maths.pointwise"))
st.latex(EQUATIONS["pointwise"])
st.markdown(t("concepts.maths.optimum"))
st.latex(EQUATIONS["optimum"])
st.markdown(t("concepts.maths.jsd"))
st.latex(EQUATIONS["jsd"])
st.markdown(t("concepts.maths.jsd_meaning"))
st.info(t("concepts.maths.jsd_limit"))
st.markdown(t("concepts.maths.d_loss"))
st.latex(EQUATIONS["d_loss"])
st.markdown(t("concepts.maths.nonsat"))
st.latex(EQUATIONS["nonsat"])
st.latex(EQUATIONS["gradients"])
st.markdown(t("concepts.maths.gradients"))

st.header(t("concepts.good_bad.title"))
strengths, failures = st.columns(2)
strengths.subheader(t("concepts.good_bad.strengths"))
strengths.markdown(bullets("concepts.good_bad.strength"))
failures.subheader(t("concepts.good_bad.failures"))
failures.markdown(bullets("concepts.good_bad.failure"))

st.header(t("concepts.uses.title"))
uses = names("concepts.uses.tabs")
for tab, use in zip(st.tabs([t(f"concepts.uses.tabs.{use}") for use in uses]), uses, strict=True):
    tab.markdown(t(f"concepts.uses.body.{use}"))
st.caption(t("concepts.uses.note"))

st.header(t("concepts.future.title"))
st.markdown(bullets("concepts.future.items"))

st.header(t("concepts.article.title"))
st.markdown(t("concepts.article.intro"))
for bug in names("concepts.article.bugs"):
    st.markdown(t("concepts.article.bug", title=t(f"concepts.article.bugs.{bug}.title"),
                  body=t(f"concepts.article.bugs.{bug}.body")))
st.success(t("concepts.article.fix"))

st.header(t("concepts.faq.title"))
for question in names("concepts.faq.items"):
    with st.expander(t(f"concepts.faq.items.{question}.q")):
        st.markdown(t(f"concepts.faq.items.{question}.a"))

st.page_link("pages/train.py", label=t("concepts.next"), icon="🏋️")
