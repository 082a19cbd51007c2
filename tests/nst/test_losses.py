"""The loss formulas against values worked out by hand, and their gradients."""

import pytest
import torch

from nst.core.losses import content_loss, gram_matrix, style_loss, tv_loss


def test_content_loss_is_weighted_sum_of_squares():
    current = torch.tensor([1.0, 2.0, 3.0, 4.0]).view(1, 1, 2, 2)
    original = torch.tensor([1.0, 0.0, 3.0, 1.0]).view(1, 1, 2, 2)
    # differences 0, 2, 0, 3 -> squares 0 + 4 + 0 + 9 = 13
    assert content_loss(0.5, current, original).item() == pytest.approx(6.5)


def test_gram_matrix_by_hand():
    # Two channels over three pixels: a = (1, 2, 0), b = (0, 1, 3).
    features = torch.tensor([[1.0, 2.0, 0.0], [0.0, 1.0, 3.0]]).view(1, 2, 1, 3)
    raw = gram_matrix(features, normalize=False)
    assert torch.equal(raw, torch.tensor([[[5.0, 2.0], [2.0, 10.0]]]))
    normalised = gram_matrix(features)  # divided by C*H*W = 2*1*3
    assert torch.allclose(normalised, raw / 6.0)


def test_gram_matrix_batches():
    features = torch.randn(3, 4, 5, 6)
    grams = gram_matrix(features, normalize=False)
    assert grams.shape == (3, 4, 4)
    for n in range(3):
        flat = features[n].reshape(4, -1)
        assert torch.allclose(grams[n], flat @ flat.T, atol=1e-5)


def test_gram_matrix_is_the_same_in_channels_last_memory():
    # The network hands over channels-last features on bf16 machines; the Gram
    # takes a different path through memory there and must give the same matrix.
    features = torch.randn(2, 5, 4, 3, dtype=torch.float64)
    channels_last = features.contiguous(memory_format=torch.channels_last)
    assert not channels_last.is_contiguous()
    assert torch.allclose(gram_matrix(channels_last), gram_matrix(features), rtol=1e-12, atol=0)
    by_hand = torch.tensor([[1.0, 2.0, 0.0], [0.0, 1.0, 3.0]]).view(1, 2, 1, 3).contiguous(
        memory_format=torch.channels_last
    )
    assert torch.equal(gram_matrix(by_hand, normalize=False), torch.tensor([[[5.0, 2.0], [2.0, 10.0]]]))
    leaf = channels_last.clone().requires_grad_(True)
    assert torch.autograd.gradcheck(lambda x: gram_matrix(x), (leaf,))


def test_style_loss_by_hand_with_layers_out_of_order():
    f0 = torch.tensor([[1.0, 2.0, 0.0], [0.0, 1.0, 3.0]]).view(1, 2, 1, 3)  # normalised Gram [[5,2],[2,10]]/6
    f1 = torch.tensor([[2.0, 0.0]]).view(1, 1, 1, 2)  # normalised Gram [[4/2]] = [[2]]
    unused = torch.full((1, 1, 1, 1), 100.0)
    feats = [f0, unused, f1]
    target0 = torch.zeros(1, 2, 2)
    target1 = torch.tensor([[[1.0]]])
    loss = style_loss(feats, [2, 0], [target1, target0], [3.0, 2.0])
    # layer 2: 3 * (2 - 1)^2 = 3; layer 0: 2 * (25 + 4 + 4 + 100) / 36 = 266 / 36
    assert loss.item() == pytest.approx(3.0 + 266.0 / 36.0)


def test_style_loss_without_normalisation():
    f = torch.tensor([[2.0, 0.0]]).view(1, 1, 1, 2)
    loss = style_loss([f], [0], [torch.tensor([[[1.0]]])], [1.0], normalize=False)
    assert loss.item() == pytest.approx((4.0 - 1.0) ** 2)


def test_style_loss_rejects_mismatched_lists():
    with pytest.raises(ValueError):
        style_loss([torch.ones(1, 1, 2, 2)], [0], [], [1.0])


def test_tv_loss_by_hand():
    img = torch.tensor([[1.0, 2.0], [4.0, 8.0]]).view(1, 1, 2, 2).expand(1, 3, 2, 2)
    # vertical: (4-1)^2 + (8-2)^2 = 45; horizontal: (2-1)^2 + (8-4)^2 = 17; per channel 62, 3 channels
    assert tv_loss(img, 0.1).item() == pytest.approx(0.1 * 62 * 3)


def test_tv_loss_of_constant_image_is_zero():
    assert tv_loss(torch.full((1, 3, 4, 5), 0.3), 10.0).item() == 0.0


def test_gradients_match_finite_differences():
    torch.manual_seed(0)
    content = torch.randn(1, 2, 3, 3, dtype=torch.float64, requires_grad=True)
    original = torch.randn(1, 2, 3, 3, dtype=torch.float64)
    assert torch.autograd.gradcheck(lambda x: content_loss(0.7, x, original), (content,))

    features = torch.randn(2, 3, 2, 4, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda x: gram_matrix(x), (features,))

    target = torch.randn(1, 3, 3, dtype=torch.float64)
    single = torch.randn(1, 3, 2, 4, dtype=torch.float64, requires_grad=True)
    other = torch.randn(1, 2, 2, 2, dtype=torch.float64)
    assert torch.autograd.gradcheck(lambda x: style_loss([other, x], [1], [target], [2.5]), (single,))

    image = torch.randn(1, 3, 4, 5, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda x: tv_loss(x, 0.3), (image,))


def test_content_loss_of_bf16_channels_last_features_is_the_formula_in_float32():
    # Under bf16 autocast the network hands over bf16 features in channels-last memory;
    # the content term must still be the plain sum, taken in float32, with its gradient 2 w (F - P).
    torch.manual_seed(0)
    current = torch.randn(1, 8, 5, 6).bfloat16().contiguous(memory_format=torch.channels_last).requires_grad_(True)
    target = torch.randn(1, 8, 5, 6)
    loss = content_loss(0.3, current, target)
    by_hand = 0.3 * (current.detach().double() - target.double()).pow(2).sum()
    assert loss.dtype == torch.float32
    assert loss.item() == pytest.approx(by_hand.item(), rel=1e-6)
    loss.backward()
    assert current.grad.dtype == torch.bfloat16
    assert torch.allclose(current.grad.float(), 0.6 * (current.detach().float() - target), rtol=1e-2, atol=1e-2)


def test_gram_matrix_of_bf16_features_is_float32_and_agrees_with_float32():
    features = torch.rand(1, 16, 12, 10).contiguous(memory_format=torch.channels_last)
    gram = gram_matrix(features.bfloat16())
    assert gram.dtype == torch.float32
    assert torch.allclose(gram, gram_matrix(features), rtol=2e-2)
