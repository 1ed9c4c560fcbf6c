package io.quiclb.appliance.store;

import java.io.IOException;
import java.io.StringWriter;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.util.Date;
import java.util.concurrent.TimeUnit;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * A throwaway PKI for tests of etcd over TLS, made in memory with BouncyCastle: a CA, a server certificate for
 * 127.0.0.1 and a client certificate, as PEM files (keys in PKCS#8).
 */
final class TestPki {
    private TestPki() {
    }

    /**
     * Writes ca.pem, server.pem, server-key.pem, client.pem and client-key.pem into {@code directory}.
     *
     * @return the directory
     */
    static Path write(Path directory) throws Exception {
        Files.createDirectories(directory);
        KeyPair ca = keyPair();
        X509Certificate caCert = certificate("CN=quiclb test CA", ca, "CN=quiclb test CA", ca.getPrivate(), true,
                null);
        KeyPair server = keyPair();
        X509Certificate serverCert = certificate("CN=127.0.0.1", server, "CN=quiclb test CA", ca.getPrivate(), false,
                KeyPurposeId.id_kp_serverAuth);
        KeyPair client = keyPair();
        X509Certificate clientCert = certificate("CN=quiclb appliance", client, "CN=quiclb test CA",
                ca.getPrivate(), false, KeyPurposeId.id_kp_clientAuth);
        pem(directory.resolve("ca.pem"), caCert);
        pem(directory.resolve("server.pem"), serverCert);
        pem(directory.resolve("server-key.pem"), new JcaPKCS8Generator(server.getPrivate(), null));
        pem(directory.resolve("client.pem"), clientCert);
        pem(directory.resolve("client-key.pem"), new JcaPKCS8Generator(client.getPrivate(), null));
        return directory;
    }

    private static KeyPair keyPair() throws Exception {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
        generator.initialize(new ECGenParameterSpec("secp256r1"));
        return generator.generateKeyPair();
    }

    private static X509Certificate certificate(String subject, KeyPair keys, String issuer, PrivateKey signer,
                                               boolean authority, KeyPurposeId purpose) throws Exception {
        long now = System.currentTimeMillis();
        JcaX509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(new X500Name(issuer),
                BigInteger.valueOf(now), new Date(now - TimeUnit.HOURS.toMillis(1)),
                new Date(now + TimeUnit.DAYS.toMillis(1)), new X500Name(subject), keys.getPublic());
        builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(authority));
        if (purpose != null) {
            builder.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(purpose));
            builder.addExtension(Extension.subjectAlternativeName, false,
                    new GeneralNames(new GeneralName(GeneralName.iPAddress, "127.0.0.1")));
        }
        return new JcaX509CertificateConverter().getCertificate(builder.build(
                new JcaContentSignerBuilder("SHA256withECDSA").build(signer)));
    }

    private static void pem(Path file, Object object) throws IOException {
        StringWriter text = new StringWriter();
        try (JcaPEMWriter writer = new JcaPEMWriter(text)) {
            writer.writeObject(object instanceof JcaPKCS8Generator generator ? generator.generate() : object);
        }
        Files.writeString(file, text.toString());
    }
}
