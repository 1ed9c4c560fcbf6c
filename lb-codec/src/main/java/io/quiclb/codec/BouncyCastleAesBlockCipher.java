package io.quiclb.codec;

import org.bouncycastle.crypto.BlockCipher;
import org.bouncycastle.crypto.engines.AESEngine;
import org.bouncycastle.crypto.params.KeyParameter;

/**
 * AES-128 on single blocks with BouncyCastle's lightweight engine, one instance per direction. Loaded only when
 * {@link AesEngine#BOUNCY_CASTLE} is selected, so the codec jar runs without BouncyCastle otherwise.
 *
 * <p><b>Thread safety:</b> not thread-safe; one instance per thread.
 */
final class BouncyCastleAesBlockCipher implements AesBlockCipher {
    private final BlockCipher encryptor;
    private final BlockCipher decryptor;

    BouncyCastleAesBlockCipher(byte[] key) {
        encryptor = AESEngine.newInstance();
        encryptor.init(true, new KeyParameter(key));
        decryptor = AESEngine.newInstance();
        decryptor.init(false, new KeyParameter(key));
    }

    @Override
    public void encrypt(byte[] in, int inOffset, byte[] out, int outOffset) {
        encryptor.processBlock(in, inOffset, out, outOffset);
    }

    @Override
    public void decrypt(byte[] in, int inOffset, byte[] out, int outOffset) {
        decryptor.processBlock(in, inOffset, out, outOffset);
    }
}
